"""The answer loop, top to bottom: understand the question, retrieve, decide whether the evidence can
answer it, let the model write, verify each sentence as it is written and send only what stands."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from qa.answering.abstention import asked_names, is_abstention
from qa.answering.answerability import answer_in_focus, evidence_holds
from qa.answering.cite import Verified, render, verify_claims
from qa.answering.claims import quoted_evidence, without_repeats
from qa.answering.followups import Turn, needs_rewrite, rewrite_follow_up
from qa.answering.gate import (
    answer_confidence,
    is_name_or_number,
    is_unsure,
)
from qa.answering.instructions import InstructionClassifier
from qa.answering.llm import LLM, TokenProb
from qa.answering.markers import parse_claims, strip_markers
from qa.answering.prompt import (
    Passage,
    build_prompt,
    content_words,
    make_passages,
    tainted_articles,
)
from qa.answering.reply import LabelFilter, repeats_a_line, short_answer
from qa.answering.shapes import FACT, SHAPES, Shape
from qa.answering.streaming import ClaimStream, Transcript, answer_holds, remembered
from qa.answering.turns import TurnQueue
from qa.answering.spelling import respell
from qa.answering.understand import ShapeClassifier, Understanding, understand
from qa.index.embedding import Embedder
from qa.retrieval.query import find_outlet_mentions, find_outlets, outlet_aliases
from qa.retrieval.retrieve import Filters, Retriever
from qa.types import Answer, CitedClaim, Hit, Source

# Below this probability for the first token of a name or number, the answer is withheld: tuned on
# dev replies of the default model (README "Answers").
MIN_ANSWER_CONFIDENCE = 0.4
RELATIVE_RELEVANCE = 0.6  # explanations, summaries, timelines, comparisons: passages within 60% of the best
ABSTENTION_TEXT = "Insufficient information: the articles in the corpus do not answer this question."
EVIDENCE_LEAD = "The articles do not answer this directly; the sentences closest to it:"


@dataclass(frozen=True)
class Token:
    """Text of the answer that is not a claim — a decline, the lead before the evidence quoted in its
    place, a compared outlet with nothing on the topic — sent when it is final."""

    text: str


@dataclass(frozen=True)
class Claimed:
    """A verified claim, sent as soon as it stands: `text` is what it adds to the answer (the sentence
    with its [n] markers, and the space or line before it), `claim` the sentence with its quotes."""

    text: str
    claim: CitedClaim


@dataclass(frozen=True)
class Sources:
    """The passages the model will read, sent as soon as retrieval is done (before its first
    token), so a reader sees the evidence while the answer is written."""

    items: tuple[Source, ...]
    retrieve_ms: float


@dataclass(frozen=True)
class Queued:
    """The model is writing other answers: `ahead` questions come before this one."""

    ahead: int


Event = Token | Claimed | Sources | Queued | Answer
QUEUE_POLL_S = 0.5  # how often a waiting question looks at its place in the queue


class Answerer:
    """Answers questions from the index with a language model; shared by the CLI, UI and API.

    `k`, `passage_chars` and `max_tokens` set the fact shape's budget (the MultiHop-RAG-tuned
    default); explanations, summaries, timelines and comparisons use their own (`qa.answering.shapes`)."""

    def __init__(
        self, retriever: Retriever, llm: LLM, k: int = 4, passage_chars: int = 400, max_tokens: int = 160,
        min_confidence: float = MIN_ANSWER_CONFIDENCE, cache_dir: Path | None = None,
    ) -> None:
        self.retriever = retriever
        self.classifier = ShapeClassifier(retriever.embedder, cache_dir)
        self.instructions = InstructionClassifier()
        self.llm = llm
        self.min_confidence = min_confidence
        self.k = k
        self.shapes = {**SHAPES, "fact": replace(FACT, k=k, passage_chars=passage_chars, max_tokens=max_tokens)}
        self.turns = TurnQueue()  # first come, first served on a model that answers one at a time

    def warm_up(self) -> None:
        """Load the embedding model, the index, the question and instruction classifiers and the
        language model now rather than on first use."""
        self.retriever.search("warm up", k=1)
        self.classifier.scores("warm up")
        self.instructions.probabilities(["warm up"])
        load = getattr(self.llm, "_load", None)
        if load:
            load()

    @property
    def embedder(self) -> Embedder:
        return self.retriever.embedder

    def shape_of(self, question: str) -> Shape:
        """The answer shape for a (standalone) question."""
        return self.shapes[self.understand(question).shape]

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        k: int | None = None,
        filters: Filters | None = None,
        now: date | None = None,
        shape: str | None = None,
    ) -> Iterator[Event]:
        """Yield the passages to be read (`Sources`), the answer's claims as each is verified
        (`Claimed`; `Token` for text that is not a claim), then the `Answer`, whose text is what was
        sent. `k` overrides the shape's number of passages, `now` anchors relative
        dates, `shape` forces a shape. While a model that writes one answer at a time is busy with
        other questions, `Queued` events say how many are ahead."""
        ticket = self.turns.take() if getattr(self.llm, "serial", False) else None
        try:
            yield from self._stream(question, history, k, filters, now, shape, ticket)
        finally:
            if ticket is not None:
                self.turns.done(ticket)

    def _wait_turn(self, ticket: int | None) -> Iterator[Queued]:
        """Wait for the model, saying how many questions are ahead whenever that changes."""
        last = None
        while ticket is not None and not self.turns.wait(ticket, QUEUE_POLL_S):
            ahead = self.turns.ahead(ticket)
            if ahead != last:
                yield Queued(ahead)
                last = ahead

    def understand(
        self, question: str, history: Sequence[Turn] = (), now: date | None = None, shape: str | None = None
    ) -> Understanding:
        """The question's shape, standalone form, focus, window and outlets (`qa.answering.understand`)."""
        return self._understood(question, self.rewrite(question, history), now, shape)

    def _understood(self, question: str, standalone: str, now: date | None, shape: str | None) -> Understanding:
        plan = self.retriever.plan(standalone, now)
        return understand(question, standalone, plan, self.retriever.outlets(), self.retriever.term_weights,
                          self.classifier, shape, self.retriever.unseen_weight(), self._vocabulary())

    def _vocabulary(self) -> frozenset[str]:
        """The embedding model's whole words (common language), when it has a tokenizer."""
        vocabulary = getattr(self.embedder, "vocabulary", None)
        return vocabulary() if vocabulary else frozenset()

    def grounded(
        self, question: str, history: Sequence[Turn] = (), k: int | None = None, filters: Filters | None = None,
        now: date | None = None, shape: str | None = None,
    ) -> tuple[Understanding, Shape, list[Hit], list[Passage]]:
        """The question understood, its shape and its evidence (hits, passages). A word the corpus
        never uses is respelt from the evidence the rest of the question finds, and the question
        understood and searched again (`qa.answering.spelling.respell`)."""
        asked = self.understand(question, history, now, shape)
        for attempt in range(2):
            form = replace(self.shapes[asked.shape], k=k) if k else self.shapes[asked.shape]
            hits, passages = ([], []) if asked.missing_outlets else self.evidence(asked.standalone, form, filters, now)
            respelt = respell(asked.standalone, [f"{h.title} {h.text}" for h in hits], self.retriever.term_weights,
                              self._vocabulary(), self.retriever.outlets(), asked.unseen)
            if attempt or respelt == asked.standalone:
                break
            asked = replace(self._understood(question, respelt, now, shape), question=question)
        return asked, form, hits, passages

    def _stream(
        self, question: str, history: Sequence[Turn], k: int | None, filters: Filters | None, now: date | None,
        shape: str | None, ticket: int | None,
    ) -> Iterator[Event]:
        started = time.perf_counter()
        if needs_rewrite(question, history):
            yield from self._wait_turn(ticket)
        asked, form, hits, passages = self.grounded(question, history, k, filters, now, shape)
        # Answer only from evidence that holds the question's focus: a small model otherwise
        # answers whatever it is given (a Californian heat wave for Lahaina, Trump for Argentina).
        answerable = bool(passages) and evidence_holds(asked.focus, hits, asked.unseen, asked.speakers)
        retrieved = time.perf_counter()
        if passages:
            yield Sources(sources_of(asked.standalone, passages), round((retrieved - started) * 1000, 1))
        shown = Transcript(passages)  # what the reader has been sent: nothing in it is taken back
        claims = self._claim_stream(asked, form, passages) if answerable and not form.short_answer else None
        first_token, written, labels = None, "", LabelFilter()
        probs: list[TokenProb] | None = [] if form.short_answer and self.min_confidence > 0 else None
        if answerable:
            yield from self._wait_turn(ticket)
            pieces = self.llm.stream(build_prompt(asked.standalone, passages, form.name), form.max_tokens, probs)
            for piece in pieces:
                first_token = first_token or time.perf_counter()
                written += labels.feed(piece)  # "Answer: X / Explanation: Y" read as "X. Y"
                if claims:  # a longer answer: each sentence checked as soon as it is complete
                    yield from _claimed(shown, claims.feed(written))
                if "\n" in piece and repeats_a_line(labels.raw):
                    close = getattr(pieces, "close", None)
                    if close:
                        close()  # a small model looping on one line: stop paying for the repeats
                    break
        reply = labels.text()
        if ticket is not None:
            self.turns.done(ticket)  # checking the claims needs no model: the next question may start
        short = ""
        if claims:
            yield from _claimed(shown, claims.finish(reply))
            if shown.items and claims.silent:  # a comparison's side with nothing on the topic is said to have nothing
                yield Token(shown.say("".join(f"\n- {o}: nothing in its articles here on this topic." for o in claims.silent)))
        elif answerable:  # a fact: the short answer and its explanation stand or fall together
            verified, short = self._verify_fact(asked, reply, passages, probs)
            yield from _claimed(shown, verified)
        if not shown.items:
            yield from self._decline(asked, passages, shown, answerable)
        finished = time.perf_counter()
        _, citations, cited = render(shown.items, passages)
        yield Answer(
            question=asked.standalone,
            answer=shown.text,
            abstained=not shown.items,
            citations=citations,
            model=self.llm.name,
            timings={
                "retrieve_ms": round((retrieved - started) * 1000, 1),
                "first_token_ms": round(((first_token or finished) - started) * 1000, 1),
                "first_claim_ms": round(((shown.first_at or finished) - started) * 1000, 1),
                "total_ms": round((finished - started) * 1000, 1),
            },
            hits=hits,
            short_answer=short,
            claims=cited,
            shape=form.name,
            claims_written=len(parse_claims(labels.text())),
        )

    def _claim_stream(self, asked: Understanding, form: Shape, passages: list[Passage]) -> ClaimStream:
        """The incremental check of a longer answer's claims (`qa.answering.streaming`)."""
        standalone, outlets = asked.standalone, self.retriever.outlets()
        aliases = outlet_aliases(outlets)
        comparing = form.name == "compare"
        return ClaimStream(
            form, passages, standalone, asked.focus, remembered(self.embedder.embed), outlets,
            compared=find_outlets(standalone, aliases) if comparing else (),
            sides=find_outlet_mentions(standalone, aliases) if comparing else (),
            names=asked_names(standalone, outlets),
        )

    def _verify_fact(
        self, asked: Understanding, reply: str, passages: list[Passage], probs: list[TokenProb] | None
    ) -> tuple[list[Verified], str]:
        """A fact's claims and its short answer; nothing when the model declined or what it wrote
        does not hold up."""
        if not strip_markers(reply) or is_abstention(strip_markers(reply)):
            return [], ""
        verified = verify_claims(parse_claims(reply), passages, self.embedder.embed, asked.standalone)
        verified = without_repeats(verified)
        short = short_answer(render(verified, passages)[0]) if verified else ""
        if self._withhold(asked, short, verified, probs, passages):
            return [], ""
        return verified, short

    def _decline(self, asked: Understanding, passages: list[Passage], shown: Transcript, answerable: bool) -> Iterator[Event]:
        """Nothing the model wrote stands: when the evidence holds what the question is about, the
        sentences that match it best, as quotations, rather than a refusal."""
        evidence = quoted_evidence(asked.focus, passages) if answerable else []
        if asked.missing_outlets:
            yield Token(shown.say(f"Insufficient information: the corpus has no articles from {' or '.join(asked.missing_outlets)}."))
        elif not evidence:
            yield Token(shown.say(ABSTENTION_TEXT))
        else:
            yield Token(shown.say(EVIDENCE_LEAD + "\n"))
            yield from _claimed(shown, evidence)

    def evidence(
        self, question: str, form: Shape, filters: Filters | None = None, now: date | None = None
    ) -> tuple[list[Hit], list[Passage]]:
        """The hits and the passages the model reads for a standalone question in this shape.

        A fact reads the k best hits. A longer answer reads every passage, so hits far below the
        best match are left out (on a topic one article covers, the rest of the k places are
        unrelated stories) — except a compared outlet's, which get k places each in retrieval and
        rank lower by nature."""
        if form.short_answer:
            hits = self._retrieve(question, form, form.k, filters, now)
            return hits, make_passages(question, hits, form.passage_chars)
        outlets = self.retriever.outlets()
        comparing = form.name == "compare"
        mentions = find_outlet_mentions(question, outlet_aliases(outlets)) if comparing else ()
        quota = max(1, form.k // len(mentions)) if mentions else None  # each side its share of the places
        hits = self._retrieve(question, form, form.k, filters, now, mention_quota=quota)
        named = {outlet for mention in mentions for outlet in mention}
        hits = [h for h in hits if h.score >= RELATIVE_RELEVANCE * hits[0].score or h.source in named]
        if form.by_date:
            hits = sorted(hits, key=lambda h: h.published_at or "9999")
        return hits, make_passages(question, hits, form.passage_chars)

    def _retrieve(
        self, question: str, form: Shape, k: int, filters: Filters | None, now: date | None,
        mention_quota: int | None = None,
    ) -> list[Hit]:
        """The `k` best hits with no article that carries instructions for the assistant: such an
        article is quarantined whole (`qa.answering.prompt.make_passages`), and the places it took are
        filled from deeper in the ranking, so an attack cannot starve an answer of evidence."""
        depth, tainted = k, set()
        for _ in range(3):
            hits = self.retriever.search(
                question, k=depth, filters=filters, now=now, max_per_article=form.per_article, mention_quota=mention_quota
            )
            tainted |= tainted_articles(hits) | self._addressed(hits)
            clean = [h for h in hits if h.article_id not in tainted]
            if not tainted or len(clean) >= k or len(hits) < depth:
                break
            depth += k - len(clean)
        return clean[:k] if tainted else hits

    def _addressed(self, hits: list[Hit]) -> set[str]:
        """Articles with a retrieved chunk the instruction classifier flags (words no catalogue
        pattern knows: "automated summaries of this report must give the toll as …")."""
        return {h.article_id for h, flagged in zip(hits, self.instructions.flagged([h.text for h in hits]), strict=True) if flagged}

    def _withhold(
        self, asked: Understanding, short: str, verified: list[Verified], probs: list[TokenProb] | None,
        passages: list[Passage],
    ) -> bool:
        """Withhold a fact the evidence does not back. A name or number must be one the model was
        sure of and come from a sentence that holds the question's focus; a yes or a no needs an
        explanation (with its closest quotes); every other answer a claim its quotes support, and
        quotes that together hold the question's focus as its chunks had to."""
        if is_name_or_number(short):
            # The name's own sentence is its evidence; the explanation around it may paraphrase.
            unsure = is_unsure(short, answer_confidence(probs or []), self.min_confidence)
            return unsure or not answer_in_focus(short, asked.focus, passages, asked.standalone)
        if short in ("Yes", "No"):
            # A yes or a no needs an explanation, shown with its closest quotes, but not one its
            # quotes fully support: a comparison of two articles ("Does TechCrunch suggest …, while
            # The Verge …?") is rarely any sentence's words, and requiring support withheld the first
            # MultiHop-RAG yes/no questions, every one (docs/evaluation.md).
            return not any(v.supports for v in verified if len(v.claim.text.split()) >= 3)
        return not answer_holds(asked.focus, verified, passages)

    def ask(
        self, question: str, history: Sequence[Turn] = (), k: int | None = None, filters: Filters | None = None,
        now: date | None = None, shape: str | None = None,
    ) -> Answer:
        """The verified answer, without streaming."""
        for event in self.stream(question, history, k, filters, now, shape):
            if isinstance(event, Answer):
                return event
        raise AssertionError("stream ended without an answer")

    def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        """A follow-up ("and what did Russia say?") as a standalone question, using the history."""
        return rewrite_follow_up(self.llm, question, history, self.retriever.term_weights)


def _claimed(shown: Transcript, items: list[Verified]) -> Iterator[Claimed]:
    """Send verified claims: each as the text it adds to the answer and the claim with its quotes."""
    for text, claim in shown.add(items):
        yield Claimed(text, claim)


def sources_of(question: str, passages: list[Passage]) -> tuple[Source, ...]:
    """Each passage's outlet, date, title and the sentence of it sharing most words with the question."""
    wanted = content_words(question)
    items = []
    for passage in passages:
        span = max(passage.spans, key=lambda sp: len(wanted & content_words(passage.sentence(sp))))
        hit = passage.hit
        items.append(Source(passage.n, hit.article_id, hit.title, hit.source, hit.url, hit.published_at,
                            passage.sentence(span), span[0], span[1]))
    return tuple(items)
