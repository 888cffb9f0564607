"""How is an answer cited? Every answer sentence (a claim) is checked against the sentences of the
retrieved passages: each of its clauses needs a supporting sentence, and together the supporting
sentences must cover the claim's content words. A claim keeps its own quotes — one or several
sentences, from one or several passages — with their exact article spans; a citation that does
not support its claim is moved to the passage that does, or the claim is marked unsupported."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from qa.answering.markers import Claim
from qa.answering.prompt import STOP_WORDS, Passage, content_words
from qa.answering.untrusted import is_instruction_like
from qa.ingest.sentences import sentence_spans
from qa.retrieval.query import outlet_label
from qa.types import Citation, CitedClaim, Quote

# A line's lead: a bullet ("- ", "* ", "• ", "1. ") and a label before a colon ("2023-11-17:", "TechCrunch:").
# Where one claim joins two facts: each side must then be supported on its own.
_CLAUSE_JOIN = re.compile(r";\s+|,?\s+(?:while|whereas|but|although|and)\s+|,\s+(?=(?:which|who)\s)", re.IGNORECASE)
# Thresholds on the dev questions' answers: see README "Citations".
LEXICAL_SUPPORT = 0.6
SEMANTIC_SUPPORT = 0.62
CLOSE_PARAPHRASE = 0.8  # a paraphrase sharing none of what the claim says of its names must be this close
MIN_CONTENT_WORDS = 3  # "Yes." or "Sam Bankman-Fried." has nothing to verify on its own
MIN_CLAUSE_WORDS = 3  # a side of "and" with fewer content words is not a fact of its own
MAX_QUOTES = 3
MIN_SHARED_WORDS = 0.25  # a paraphrase vouched for by embeddings still shares a quarter of its words

Encoder = Callable[[list[str]], np.ndarray]


_TOKEN = re.compile(r"[A-Za-z0-9]+")


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=4096)
def terms(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """A text's content words, stemmed ("fired" and "firing" meet), and the subset that carries
    what is said of the names: lower-case words, not names or numbers ("fired" in "Sam Altman was
    fired on November 17")."""
    stem = _stemmer().stemWord
    every, told = set(), set()
    for token in _TOKEN.findall(text):
        word = token.lower()
        if word in STOP_WORDS or len(word) == 1:
            continue
        every.add(stem(word))
        if token.islower() and not any(ch.isdigit() for ch in token):
            told.add(stem(word))
    return frozenset(every), frozenset(told)


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def numbers(text: str) -> set[str]:
    """The numbers a text states, thousands separators dropped ("1,400" and "1400" meet)."""
    return {m.group(0).replace(",", "") for m in _NUMBER.finditer(text)}


def word_share(claim: str, sentence: str) -> float:
    """Share of the claim's (stemmed) content words found in the sentence, nothing more."""
    wanted = terms(claim)[0]
    return len(wanted & terms(sentence)[0]) / len(wanted) if wanted else 0.0


def is_paraphrase(claim: str, sentence: str, cosine: float) -> bool:
    """Is a sentence whose embedding is `cosine`-close to the claim a paraphrase of it? It must share
    a quarter of the claim's content words and a third of the words that say something of its
    names — or, sharing none of those, be very close (`CLOSE_PARAPHRASE`). Embeddings alone match
    topics, not facts ("Aliyev told Blinken he would halt" is not "Blinken urged Aliyev to cease
    hostilities"; "Altman's shake-up in November" is not "Altman was fired on November 18")."""
    wanted, told = terms(claim)
    have = terms(sentence)[0]
    if cosine < SEMANTIC_SUPPORT or not wanted or len(wanted & have) < MIN_SHARED_WORDS * len(wanted):
        return False
    return not told or len(told & have) * 3 >= len(told) or cosine >= CLOSE_PARAPHRASE


def lexical_support(claim: str, sentence: str) -> float:
    """Share of the claim's content words found in the sentence — 0 unless the sentence also holds
    half of the words that say something of the claim's names (names and dates alone do not make
    a sentence about the same fact)."""
    wanted, told = terms(claim)
    if not wanted:
        return 0.0
    have = terms(sentence)[0]
    if told and len(told & have) * 2 < len(told):
        return 0.0
    return len(wanted & have) / len(wanted)


def split_clauses(text: str) -> list[str]:
    """The facts a claim joins ("X rose; Y fell", "X said A, while B said C"); a side with fewer
    than three content words stays with its neighbour ("Altman and Brockman left" is one fact)."""
    parts = [p for p in _CLAUSE_JOIN.split(text) if p and p.strip()]
    clauses: list[str] = []
    for part in parts:
        if clauses and len(content_words(part)) < MIN_CLAUSE_WORDS:
            clauses[-1] = f"{clauses[-1]} {part}"
        elif clauses and len(content_words(clauses[-1])) < MIN_CLAUSE_WORDS:
            clauses[-1] = f"{clauses[-1]} {part}"
        else:
            clauses.append(part)
    return clauses or [text]


@dataclass(frozen=True)
class Support:
    """One sentence that supports (part of) a claim: passage number, article span, score."""

    n: int
    span: tuple[int, int]
    score: float


@dataclass(frozen=True)
class Verified:
    claim: Claim
    supports: tuple[Support, ...]  # best first; empty when no sentence was found at all
    supported: bool
    reattributed: bool
    verbatim: bool = False  # the claim is its article's sentence (in place of the model's, or completing the answer)

    @property
    def n(self) -> int:
        """The passage credited first (0 when none)."""
        return self.supports[0].n if self.supports else 0

    @property
    def cited(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(s.n for s in self.supports))


Candidate = tuple[int, tuple[int, int], str]  # passage number, article span, sentence text


def verify_claims(
    claims: list[Claim], passages: list[Passage], encode: Encoder | None, question: str = ""
) -> list[Verified]:
    """Match every claim to the sentences that support it, preferring the passages it cites. A short
    claim (a name, a number) is supported by the sentence that contains it and best matches the
    question; "Yes"/"No" inherit the passage their citation names."""
    by_n = {p.n: p for p in passages}
    candidates = [(p.n, span, p.sentence(span)) for p in passages for span in _all_spans(p)]
    candidates = [c for c in candidates if not is_instruction_like(c[2])]  # never evidence
    checkable = [c for c in claims if len(content_words(c.text)) >= MIN_CONTENT_WORDS]
    clauses = {id(c): split_clauses(c.text) for c in checkable}
    lexical = {
        (id(c), i): [lexical_support(clause, text) for _, _, text in candidates]
        for c in checkable for i, clause in enumerate(clauses[id(c)])
    }
    # Embeddings only for clauses that no sentence of their claim's own passages supports word for
    # word (a supported own citation is kept whatever the cosines say); this is the expensive step.
    unsettled = [
        (c, i, clause) for c in checkable for i, clause in enumerate(clauses[id(c)])
        if not any(score >= LEXICAL_SUPPORT and cand[0] in c.cited for score, cand in zip(lexical[(id(c), i)], candidates))
    ]
    semantic = _semantic_matrix([u[2] for u in unsettled], [c[2] for c in candidates], encode)
    rows = {(id(c), i): semantic[j] for j, (c, i, _) in enumerate(unsettled)} if semantic is not None else {}
    results = []
    for claim in claims:
        if claim not in checkable:
            results.append(_verify_short(claim, candidates, by_n, question))
            continue
        results.append(_verify_long(claim, clauses[id(claim)], candidates, lexical, rows))
    return results


def _verify_long(
    claim: Claim, clauses: list[str], candidates: list[Candidate],
    lexical: dict[tuple[int, int], list[float]], rows: dict[tuple[int, int], np.ndarray],
) -> Verified:
    """Each clause takes its best sentence (own passages first); the claim is supported when every
    clause is and the chosen sentences together cover its content words."""
    picks: list[Support] = []
    all_ok, any_own_miss, by_meaning = True, False, False
    for i in range(len(clauses)):
        row = rows.get((id(claim), i))
        scored = []
        for j, (n, span, _) in enumerate(candidates):
            lexical_score = lexical[(id(claim), i)][j]
            cosine = float(row[j]) if row is not None else 0.0
            word_for_word = lexical_score >= LEXICAL_SUPPORT
            ok = word_for_word or is_paraphrase(clauses[i], candidates[j][2], cosine)
            scored.append((ok, max(lexical_score, cosine), n in claim.cited, n, span, not word_for_word))
        # A sentence that says it word for word beats a paraphrase; the claim's own passages first.
        rank = lambda s: (s[0], s[0] and not s[5], s[1])  # noqa: E731
        own = max((s for s in scored if s[2]), default=None, key=rank)
        anywhere = max(scored, default=None, key=rank)
        best = own if own and own[0] and (not own[5] or anywhere[5]) else anywhere
        if best is None:
            all_ok = False
            continue
        any_own_miss |= not best[2]
        if not best[0]:
            all_ok = False
            best = own or best  # shown as the (unverified) quote of the passage the model named
        by_meaning |= best[0] and best[5]
        picks.append(Support(best[3], best[4], round(best[1], 3)))
    picks = _top_up_cover(claim, picks, candidates) if all_ok else picks
    supports = tuple(_first_per_sentence(picks))[:MAX_QUOTES]
    texts = {(c[0], c[1]): c[2] for c in candidates}
    covered = terms(" ".join(texts.get((s.n, s.span), "") for s in supports))[0]
    wanted = terms(claim.text)[0]
    cover_ok = bool(wanted) and len(wanted & covered) / len(wanted) >= LEXICAL_SUPPORT
    quoted = " ".join(texts.get((s.n, s.span), "") for s in supports)
    all_ok = all_ok and numbers(claim.text) <= numbers(quoted)  # "November 18" needs an 18 in its quotes
    # Every clause has its sentence; the cover check catches one clause quietly joining two facts,
    # unless a clause is a paraphrase that only the embeddings vouched for.
    supported = all_ok and (cover_ok or by_meaning)
    return Verified(claim, supports, supported, supported and any_own_miss and bool(claim.cited))


def _first_per_sentence(picks: list[Support]) -> list[Support]:
    """Each sentence quoted once, at its first place (two clauses may pick the same sentence)."""
    seen: set[tuple[int, tuple[int, int]]] = set()
    kept = []
    for pick in picks:
        if (pick.n, pick.span) not in seen:
            seen.add((pick.n, pick.span))
            kept.append(pick)
    return kept


def _top_up_cover(claim: Claim, picks: list[Support], candidates: list[Candidate]) -> list[Support]:
    """Add the sentence that covers most of the claim's still-uncovered content words (when it adds
    at least two), so a claim drawing on two sentences quotes both. Only passages the claim cites or already quotes may add: a top-up never
    brings in an article the model did not use."""
    texts = {(c[0], c[1]): c[2] for c in candidates}
    wanted = terms(claim.text)[0]
    covered = terms(" ".join(texts[(s.n, s.span)] for s in picks if (s.n, s.span) in texts))[0]
    used = set(claim.cited) | {s.n for s in picks}
    while len(picks) < MAX_QUOTES:
        # Only sentences about the claim (a quarter of its words) may add to it: no mosaics of stray words.
        gains = [(len((wanted - covered) & terms(text)[0]), n in claim.cited, n, span) for n, span, text in candidates
                 if n in used and word_share(claim.text, text) >= MIN_SHARED_WORDS]
        gain = max(gains, default=None)
        if gain is None or gain[0] < 2:
            break
        picks.append(Support(gain[2], gain[3], round(lexical_support(claim.text, texts[(gain[2], gain[3])]), 3)))
        covered |= terms(texts[(gain[2], gain[3])])[0]
    return picks


def _verify_short(claim: Claim, candidates: list[Candidate], by_n: dict[int, Passage], question: str) -> Verified:
    words = {w.lower() for w in re.findall(r"[A-Za-z0-9]+", claim.text)} - {"yes", "no"}
    cited = [n for n in claim.cited if n in by_n]
    if words:
        containing = [
            (n in cited, lexical_support(question, text), n, span)
            for n, span, text in candidates
            if words <= {w.lower() for w in re.findall(r"[A-Za-z0-9]+", text)}
        ]
        if containing:
            own, _, n, span = max(containing, key=lambda c: (c[0], c[1]))
            return Verified(claim, (Support(n, span, 1.0),), True, bool(cited) and not own)
        if cited:
            return Verified(claim, (Support(cited[0], by_n[cited[0]].spans[0], 0.0),), False, False)
        return Verified(claim, (), False, False)
    if cited:  # "Yes." / "No.": the explanation that follows carries the evidence
        return Verified(claim, (Support(cited[0], by_n[cited[0]].spans[0], 0.0),), True, False)
    return Verified(claim, (), True, False)


def _all_spans(passage: Passage) -> list[tuple[int, int]]:
    """Every sentence of the passage's chunk (the model saw a trimmed text, but any sentence of the
    retrieved chunk may be the best quote)."""
    hit = passage.hit
    return [(hit.start + s, hit.start + e) for s, e in sentence_spans(hit.text)]


def _semantic_matrix(texts: list[str], sentences: list[str], encode: Encoder | None) -> np.ndarray | None:
    if encode is None or not texts or not sentences:
        return None
    vectors = encode(texts + sentences)
    return vectors[: len(texts)] @ vectors[len(texts) :].T


def render(verified: list[Verified], passages: list[Passage]) -> tuple[str, list[Citation], list[CitedClaim]]:
    """The answer text with corrected [n] markers, one citation per credited passage (its best
    quote, for a sources list) and every claim with its own quotes."""
    by_n = {p.n: p for p in passages}
    best: dict[int, tuple[bool, float, Support]] = {}
    parts, claims = [], []
    for item in verified:
        numbers = item.cited
        marker = f" [{', '.join(map(str, numbers))}]" if numbers else ""
        label = _quoted_label(item, by_n) if item.verbatim else item.claim.label
        lead = "\n" if item.claim.newline else ""
        lead += "- " if item.claim.bullet else ""
        lead += f"{label}: " if label else ""
        # An article's own sentence is shown as a quotation of its outlet: "Reuters: “…” [2]".
        body = f"“{item.claim.text}”{marker}" if item.verbatim else _with_marker(item.claim.text, marker)
        parts.append(lead + body)
        quotes = []
        for support in item.supports:
            hit = by_n[support.n].hit
            quotes.append(Quote(support.n, hit.article_id, by_n[support.n].sentence(support.span), support.span[0],
                                support.span[1], support.score, hit.chunk_id))
            key = (item.supported, support.score)
            if support.n not in best or key > best[support.n][:2]:
                best[support.n] = (*key, support)
        claims.append(CitedClaim(item.claim.text, numbers, tuple(quotes), item.supported, label, item.verbatim))
    citations = []
    for n in sorted(best):
        supported, score, support = best[n]
        hit = by_n[n].hit
        citations.append(
            Citation(
                n=n, article_id=hit.article_id, title=hit.title, source=hit.source, url=hit.url,
                published_at=hit.published_at, quote=by_n[n].sentence(support.span), start=support.span[0],
                end=support.span[1], score=round(score, 3), supported=supported, chunk_id=hit.chunk_id,
            )
        )
    text = "".join(p if p.startswith("\n") or i == 0 else " " + p for i, p in enumerate(parts))
    return text.strip(), citations, claims


def _quoted_label(item: Verified, by_n: dict[int, Passage]) -> str:
    """A verbatim claim's label: its outlet, after the date a timeline gives it."""
    outlet = outlet_label(by_n[item.n].hit.source) if item.n in by_n else ""
    label = item.claim.label
    if not outlet or outlet == label:
        return label
    return f"{label}: {outlet}" if re.fullmatch(r"\d{4}-\d\d-\d\d", label) else outlet


def _with_marker(sentence: str, marker: str) -> str:
    if not marker:
        return sentence
    match = re.search(r"[.!?]+[\"'”’)]*$", sentence)
    return sentence[: match.start()] + marker + sentence[match.start() :] if match else sentence + marker
