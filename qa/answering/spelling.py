"""Typed words the corpus never uses, respelt: "abosut", "russoa", "yestreday" become the function,
request, time or evidence word one or two edits away, so the question is understood and searched as
meant; a name the corpus lacks stays as typed, for the answerability check to see."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from qa.answering.understand import FUNCTION_WORDS, REQUEST_TEXT, UNKNOWN_WEIGHT, Weights, request_words
from qa.index.keyword import tokenize

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")

# Words that place a question in time, spelt right when typed wrong ("yestreday") like function words.
_TIME_WORDS = frozenset("""yesterday today tonight tomorrow week weekend weekends month months year years night
    morning afternoon evening ago recently recent latest earlier later""".split())


COMMON_SHARE = 0.5  # a word whose idf is at most this share of an unseen word's is common in the corpus


def respell(
    text: str, evidence: Sequence[str], weights: Weights, vocabulary: frozenset[str] = frozenset(),
    outlets: Sequence[str] = (), unseen: float = UNKNOWN_WEIGHT,
) -> str:
    """The question with each word the corpus never uses and that is not common language (of four
    letters or more, not in the embedding model's `vocabulary`: "fall" is no typo) replaced by a
    word one edit away (two for eight letters or more): a function, request or time word ("abosut",
    "sumvmarize", "yestreday") or a word of a carried outlet's name ("vrege"); a word of the
    `evidence` the rest of the question retrieves, or of the embedding model's `vocabulary` whose
    stem that evidence holds ("russoa" beside articles about Russia, "pullig" beside "pulled"); or,
    for seven letters or more, one edit from a `vocabulary` word the corpus uses commonly (its idf at
    most `COMMON_SHARE` of `unseen`: "suddeqnly", not the name "oconnor"). A possessive typed
    without its apostrophe ("altmns") is matched without its "s", and apostrophes do not count
    ("oconnor" is the evidence's "o'connor"). A word with no such neighbour
    stays as typed: a short name the corpus lacks ("milei", "grindavik") is what the answerability
    check must see, and a word the corpus lacks is not turned into another one it has ("project" is
    not "protect")."""
    words = {m.group(0) for m in _WORD.finditer(text) if len(m.group(0)) >= 4}
    closed = frozenset(FUNCTION_WORDS | _TIME_WORDS | set(REQUEST_TEXT.split()) | {w for o in outlets for w in _WORD.findall(o.lower())})
    stems = {w: tokenize([w])[0] for w in words if (lowered := w.lower().replace("’", "'")) not in closed and lowered not in vocabulary}
    known = weights({s for v in stems.values() for s in v})
    unknown = [w for w, s in stems.items() if s and not any(known.get(t) for t in s)]
    if not unknown:
        return text
    # The evidence's words count only from a chunk about the question (one holding one of its two
    # rarest other words): "oconnor" is not the "Connor" of a hockey story.
    rest = {t for w, s in stems.items() if w not in unknown for t in s if known.get(t)} - request_words()
    others = set(sorted(rest, key=lambda t: -known[t])[:2])
    held: dict[str, int] = {}
    for tokens in tokenize(list(evidence)):
        if others and not others & set(tokens):
            continue
        for token in tokens:
            held[token] = held.get(token, 0) + 1
    said: dict[str, str] = {}  # as typed without apostrophes ("oconnor", "jada") -> as written ("o'connor", "jada")
    about = [text for text, tokens in zip(evidence, tokenize(list(evidence))) if not others or others & set(tokens)]
    for written in _WORD.findall(" ".join(about).lower().replace("’", "'")):
        written = written.removesuffix("'s").strip("'-")
        said.setdefault(written.replace("'", ""), written)
    fixes = {}
    for word in unknown:
        typed = word.lower()
        forms = [typed, typed[:-1]] if typed.endswith("s") and len(typed) > 4 else [typed]
        scored = []
        for form in forms:
            most = 1 if len(form) < 8 else 2
            # Each word set keeps its own deletes index (cached): no 20,000-word union per typed word.
            options = _near(form, vocabulary, most) | _near(form, closed, most) | {w for w in said if abs(len(w) - len(form)) <= most}
            for option in options:
                distance = edit_distance(form, option, most)
                option = said.get(option, option)
                if distance > most:
                    continue
                stem = tokenize([option])[0]
                count = held.get(stem[0], 0) if stem else 0
                if option in closed or count or (len(form) >= 7 and distance == 1 and option in vocabulary and stem
                                                  and 0 < weights({stem[0]}).get(stem[0], 0) <= COMMON_SHARE * unseen):
                    scored.append((distance, option not in closed, -count, option))
        if scored:
            fixes[word] = min(scored)[3]
    return _WORD.sub(lambda m: fixes.get(m.group(0), m.group(0)), text) if fixes else text


def _near(word: str, vocabulary: frozenset[str], most: int) -> set[str]:
    """Words of the vocabulary that may be within `most` edits of `word` (checked by the caller)."""
    index = _deletes_index(vocabulary)
    keys = {word} | _deletes(word)
    if most > 1:
        keys |= {d for k in list(keys) for d in _deletes(k)}
    return {w for key in keys for w in index.get(key, ())}


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@lru_cache(maxsize=4)
def _deletes_index(vocabulary: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """Each word and each one-letter deletion of it -> the words it comes from (symmetric deletes)."""
    index: dict[str, list[str]] = {}
    for word in vocabulary:
        for key in {word} | _deletes(word):
            index.setdefault(key, []).append(word)
    return {key: tuple(words) for key, words in index.items()}


def edit_distance(a: str, b: str, most: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours is one edit); `most` + 1 once it is
    sure to exceed `most`."""
    if a == b:
        return 0
    before, row = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (ca != cb))
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > most:
            return most + 1
        before, row = row, current
    return row[-1]
