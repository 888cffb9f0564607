"""How is a declined answer recognised (a narrow list of phrasings read in its first sentence), and
which names does a question ask about?"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.answering.cite import terms

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")
_NEGATION = r"(does not|doesn't|do not|don't|did not|didn't)"
_ABSTENTION_PATTERNS = [
    re.compile(pattern)
    for pattern in (
        r"\binsufficient (information|evidence|context|data)\b",
        r"\bnot enough (information|evidence|context|data)\b",
        r"\bi (do not|don't|cannot|can't|can not) (know|say|tell|answer|determine)\b",
        r"\b(cannot|can't|can not|could not|couldn't) be (determined|answered|confirmed|inferred)\b",
        r"\b(unable to|not able to) (answer|determine|say|tell)\b",
        r"\b(corpus|articles?|sources?|context|documents?|passages?|excerpts?|information|text)"
        r"( provided| given| available| retrieved)? " + _NEGATION
        + r" (say|mention|contain|provide|specify|state|include|indicate|address|cover)\b",
        r"^(there is |there's |there was )?no (relevant |such |specific )?(information|evidence)\b",
        r"\b(there is|there's|there was|contains?|provides?) no (relevant |such |specific )?"
        r"(information|evidence)\b",
        r"^(unknown|unclear)[.!]?$",
    )
]
_BARE_NO = re.compile(r"\s*(?:answer:\s*)?no[.!]?\s*", re.IGNORECASE)  # a no and nothing else


def is_abstention(answer: str) -> bool:
    """Whether the answer's first sentence declines to answer ("Insufficient information.", ...).

    Only the first sentence is read, because answers lead with their direct answer: "Yes. ... the
    corpus doesn't say when" answered the question. A bare "No." is read with the sentence after it:
    "No. The passage does not mention X" is a no from the absence of evidence, which declines (a no
    needs a sentence that says no, like any answer). The phrase list is deliberately narrow, so a
    missed abstention is likelier than a real answer counted as one.
    """
    sentences = _SENTENCE_END.split(answer.strip(), maxsplit=2)
    if len(sentences) > 1 and _BARE_NO.fullmatch(sentences[0]):
        sentences = sentences[1:]
    text = sentences[0].lower().replace("\u2019", "'")
    return any(pattern.search(text) for pattern in _ABSTENTION_PATTERNS)



_NAME = re.compile(r"[A-Za-z][\w'’-]*")
_CALENDAR = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)


def asked_names(question: str, outlets: Sequence[str] = ()) -> list[str]:
    """The names a question asks about: capitalised words after its first ("Lahaina", "Maui"),
    without possessives, acronyms ("US", "SBF", "COP28" — often spelled out in articles), months and
    days, the outlets' own names and stop words."""
    outlet_words = {w.lower() for outlet in outlets for w in _NAME.findall(outlet)}
    names = []
    for i, token in enumerate(_NAME.findall(question)):
        word = re.sub(r"['’]s?$", "", token)
        if i == 0 or not word or not word[0].isupper() or (word.isupper() and len(word) <= 5):
            continue
        if word.lower() in _CALENDAR or word.lower() in outlet_words or not terms(word)[0]:
            continue
        names.append(word)
    return list(dict.fromkeys(names))
