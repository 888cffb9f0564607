"""How is an answer cited? Each answer sentence is checked against the sentences of the passages
it cites; an unsupported citation is moved to the passage sentence that does support it, or the
sentence is marked unsupported. Every citation carries its exact quote and article span."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qa.prompt import Passage, content_words
from qa.sentences import sentence_spans
from qa.types import Citation

_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
# Thresholds on the dev questions' answers: see README "Citations".
LEXICAL_SUPPORT = 0.6
SEMANTIC_SUPPORT = 0.62
MIN_CONTENT_WORDS = 3  # "Yes." or "Sam Bankman-Fried." has nothing to verify on its own

Encoder = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Claim:
    """One answer sentence: its text without markers and the passage numbers it cites."""

    text: str
    cited: tuple[int, ...]


def parse_claims(answer: str) -> list[Claim]:
    """Split an answer into sentences and read their [n] / [n, m] markers (a marker right after a
    sentence's end belongs to that sentence)."""
    claims = []
    for start, end in sentence_spans(answer):
        sentence = answer[start:end]
        trailing = _MARKER.match(answer, end)
        cited = [int(n) for m in _MARKER.finditer(sentence) for n in m.group(1).split(",")]
        if trailing:
            cited += [int(n) for n in trailing.group(1).split(",")]
        text = _MARKER.sub("", sentence).strip()
        if text:
            claims.append(Claim(text, tuple(dict.fromkeys(cited))))
    return claims


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text).strip()


def lexical_support(claim: str, sentence: str) -> float:
    """Share of the claim's content words found in the sentence."""
    wanted = content_words(claim)
    return len(wanted & content_words(sentence)) / len(wanted) if wanted else 0.0


@dataclass(frozen=True)
class Verified:
    claim: Claim
    n: int  # passage now credited (0 when none)
    span: tuple[int, int]  # article-absolute span of the supporting sentence
    score: float
    supported: bool
    reattributed: bool


_GROUNDING_STOP = frozenset("yes no the a an of and or in on for to".split())


def is_grounded(short_answer: str, sources: list[str], question: str) -> bool:
    """Does the short answer (a name, a number, a word) come from the retrieved text or the question?

    A name found in neither was recalled (or made up) by the model, not read in the articles. A
    one-word answer must appear as a word; a longer one needs half of its words in one source.
    Letters alone ("A", "T. S.") cannot be traced to any text, so they count as not grounded.
    "Yes"/"No" and empty answers are left to the citation checks.
    """
    tokens = re.findall(r"[A-Za-z0-9]+", short_answer)
    if tokens and all(len(t) == 1 and t.isalpha() for t in tokens):
        return False
    words = {t.lower() for t in tokens} - _GROUNDING_STOP
    if not words:
        return True
    asked = {w.lower() for w in re.findall(r"[A-Za-z0-9]+", question)}
    needed = len(words) if len(words) == 1 else len(words) / 2
    for source in sources:
        seen = {w.lower() for w in re.findall(r"[A-Za-z0-9]+", source)} | asked
        if len(words & seen) >= needed:
            return True
    return False


def verify_claims(
    claims: list[Claim], passages: list[Passage], encode: Encoder | None, question: str = ""
) -> list[Verified]:
    """Match every claim to its best supporting sentence, preferring the passages it cites. A short
    claim (a name, a number) is supported by the sentence that contains it and best matches the
    question; "Yes"/"No" inherit the passage their citation names."""
    by_n = {p.n: p for p in passages}
    candidates = [(p.n, span, p.sentence(span)) for p in passages for span in _all_spans(p)]
    checkable = [c for c in claims if len(content_words(c.text)) >= MIN_CONTENT_WORDS]
    lexical = {id(c): [lexical_support(c.text, text) for _, _, text in candidates] for c in checkable}
    # Embeddings only for claims that no sentence of their own cited passages supports word for word
    # (a supported own citation is kept whatever the cosines say); this is the expensive step.
    unsettled = [
        c for c in checkable
        if not any(score >= LEXICAL_SUPPORT and cand[0] in c.cited for score, cand in zip(lexical[id(c)], candidates))
    ]
    semantic = _semantic_matrix(unsettled, [c[2] for c in candidates], encode)
    results = []
    for claim in claims:
        if claim not in checkable:
            results.append(_verify_short(claim, candidates, by_n, question))
            continue
        row = semantic[unsettled.index(claim)] if semantic is not None and claim in unsettled else None
        scored = []
        for j, (n, span, text) in enumerate(candidates):
            lexical_score = lexical[id(claim)][j]
            cosine = float(row[j]) if row is not None else 0.0
            ok = lexical_score >= LEXICAL_SUPPORT or cosine >= SEMANTIC_SUPPORT
            scored.append((ok, max(lexical_score, cosine), n, span))
        own = [s for s in scored if s[2] in claim.cited]
        best_own = max(own, default=None, key=lambda s: (s[0], s[1]))
        if best_own and best_own[0]:
            results.append(Verified(claim, best_own[2], best_own[3], best_own[1], True, False))
            continue
        best_any = max(scored, default=None, key=lambda s: (s[0], s[1]))
        if best_any and best_any[0]:
            results.append(Verified(claim, best_any[2], best_any[3], best_any[1], True, True))
        elif best_own:
            results.append(Verified(claim, best_own[2], best_own[3], best_own[1], False, False))
        else:
            results.append(Verified(claim, 0, (0, 0), best_any[1] if best_any else 0.0, False, False))
    return results


def _verify_short(
    claim: Claim, candidates: list[tuple[int, tuple[int, int], str]], by_n: dict[int, Passage], question: str
) -> Verified:
    words = {w.lower() for w in re.findall(r"[A-Za-z0-9]+", claim.text)} - {"yes", "no"}
    cited = [n for n in claim.cited if n in by_n]
    if words:
        containing = [
            (n in cited, lexical_support(question, text), n, span)
            for n, span, text in candidates
            if words <= {w.lower() for w in re.findall(r"[A-Za-z0-9]+", text)}
        ]
        if containing:
            own, score, n, span = max(containing, key=lambda c: (c[0], c[1]))
            return Verified(claim, n, span, 1.0, True, bool(cited) and not own)
        if cited:
            return Verified(claim, cited[0], by_n[cited[0]].spans[0], 0.0, False, False)
        return Verified(claim, 0, (0, 0), 0.0, False, False)
    if cited:  # "Yes." / "No.": the explanation that follows carries the evidence
        return Verified(claim, cited[0], by_n[cited[0]].spans[0], 0.0, True, False)
    return Verified(claim, 0, (0, 0), 0.0, True, False)


def _all_spans(passage: Passage) -> list[tuple[int, int]]:
    """Every sentence of the passage's chunk (the model saw a trimmed text, but any sentence of the
    retrieved chunk may be the best quote)."""
    hit = passage.hit
    return [(hit.start + s, hit.start + e) for s, e in sentence_spans(hit.text)]


def _semantic_matrix(claims: list[Claim], sentences: list[str], encode: Encoder | None) -> np.ndarray | None:
    if encode is None or not claims or not sentences:
        return None
    vectors = encode([c.text for c in claims] + sentences)
    return vectors[: len(claims)] @ vectors[len(claims) :].T


def render(verified: list[Verified], passages: list[Passage]) -> tuple[str, list[Citation]]:
    """The answer text with corrected [n] markers, and one citation per credited passage."""
    by_n = {p.n: p for p in passages}
    best: dict[int, Verified] = {}
    parts = []
    for item in verified:
        marker = f" [{item.n}]" if item.n else ""
        parts.append(_with_marker(item.claim.text, marker))
        if item.n and (item.n not in best or (item.supported, item.score) > (best[item.n].supported, best[item.n].score)):
            best[item.n] = item
    citations = []
    for n in sorted(best):
        item, hit = best[n], by_n[n].hit
        citations.append(
            Citation(
                n=n, article_id=hit.article_id, title=hit.title, source=hit.source, url=hit.url,
                published_at=hit.published_at, quote=by_n[n].sentence(item.span), start=item.span[0],
                end=item.span[1], score=round(item.score, 3), supported=item.supported, chunk_id=hit.chunk_id,
            )
        )
    return " ".join(parts), citations


def _with_marker(sentence: str, marker: str) -> str:
    if not marker:
        return sentence
    match = re.search(r"[.!?]+[\"'”’)]*$", sentence)
    return sentence[: match.start()] + marker + sentence[match.start() :] if match else sentence + marker
