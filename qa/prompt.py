"""What does the language model see? Numbered passages trimmed to their relevant sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.llm import Message
from qa.sentences import sentence_spans
from qa.types import Hit

SYSTEM_PROMPT = (
    "You are a news assistant. Answer the question using only the numbered passages.\n"
    "Reply in this format:\n"
    "Answer: <the short answer: yes, no, a name, or a number>\n"
    "Explanation: <one or two sentences, citing the passages used like [1]>\n"
    "If no passage is about the question, reply: Insufficient information."
)

_WORD = re.compile(r"[A-Za-z0-9]+")
STOP_WORDS = frozenset(
    """a an the of to in on for and or but is are was were be been being did does do what who whom which
    how why when where by with from as at that this these those it its his her their there than then
    about into after before between both article articles report reported reports according news
    published""".split()
)


def content_words(text: str) -> set[str]:
    """Lower-cased words minus stop words, with a plural "s" dropped: a cheap, stable stem."""
    words = set()
    for word in _WORD.findall(text.lower()):
        if word in STOP_WORDS:
            continue
        words.add(word[:-1] if len(word) > 4 and word.endswith("s") else word)
    return words


@dataclass(frozen=True)
class Passage:
    """A hit as shown to the model: number, hit, and the (article-absolute) sentence spans kept."""

    n: int
    hit: Hit
    spans: tuple[tuple[int, int], ...]

    @property
    def text(self) -> str:
        return " ".join(self.sentence(span) for span in self.spans)

    def sentence(self, span: tuple[int, int]) -> str:
        return self.hit.text[span[0] - self.hit.start : span[1] - self.hit.start]


def make_passages(question: str, hits: list[Hit], max_chars: int = 600) -> list[Passage]:
    """Number the hits; keep from each the sentences around its best match with the question,
    in article order, up to `max_chars` (shorter prompts answer faster on a CPU)."""
    wanted = content_words(question)
    passages = []
    for n, hit in enumerate(hits, start=1):
        spans = [(hit.start + s, hit.start + e) for s, e in sentence_spans(hit.text)]
        if not spans:
            continue
        scores = [len(wanted & content_words(hit.text[s - hit.start : e - hit.start])) for s, e in spans]
        best = max(range(len(spans)), key=lambda i: (scores[i], -i))
        keep, low, high = {best}, best, best
        size = spans[best][1] - spans[best][0]
        while True:
            options = [i for i in (low - 1, high + 1) if 0 <= i < len(spans)]
            options = [i for i in options if size + spans[i][1] - spans[i][0] + 1 <= max_chars]
            if not options:
                break
            pick = max(options, key=lambda i: (scores[i], -abs(i - best)))
            keep.add(pick)
            size += spans[pick][1] - spans[pick][0] + 1
            low, high = min(keep), max(keep)
        passages.append(Passage(n, hit, tuple(spans[i] for i in sorted(keep))))
    return passages


# Worked examples fix the reply format for small models. They come first and never change, so
# llama.cpp reuses their cached state from one question to the next.
EXAMPLES: list[Message] = [
    {"role": "user", "content": (
        "Passages:\n[1] Lanterns light up the riverside festival (Culture Post, 2023-11-20)\n"
        "Thousands of paper lanterns floated over the river on Sunday as the festival opened. "
        "Organisers said more than 40,000 visitors came on the first night.\n\n"
        "[2] Council approves new bridge (Daily Planet, 2023-10-02)\n"
        "The council voted 7-2 on Monday to fund a new bridge, said Mayor Ana Ruiz.\n\n"
        "Question: Did more than 30,000 people visit the festival on its first night, according to Culture Post?")},
    {"role": "assistant", "content": "Answer: Yes\nExplanation: Organisers said more than 40,000 visitors came on the first night [1]."},
    {"role": "user", "content": (
        "Passages:\n[1] Council approves new bridge (Daily Planet, 2023-10-02)\n"
        "The council voted 7-2 on Monday to fund a new bridge, said Mayor Ana Ruiz.\n\n"
        "Question: Who announced the council's vote on the bridge, as reported by the Daily Planet?")},
    {"role": "assistant", "content": "Answer: Ana Ruiz\nExplanation: Mayor Ana Ruiz said the council voted 7-2 to fund the bridge [1]."},
]


def build_prompt(question: str, passages: list[Passage]) -> list[Message]:
    """Chat messages: the instructions, worked examples, then the numbered passages and the question."""
    blocks = []
    for passage in passages:
        hit = passage.hit
        meta = ", ".join(p for p in (hit.source, hit.published_at[:10]) if p)
        blocks.append(f"[{passage.n}] {hit.title} ({meta})\n{passage.text}")
    user = "Passages:\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}"
    return [{"role": "system", "content": SYSTEM_PROMPT}, *EXAMPLES, {"role": "user", "content": user}]
