"""How is one question scored? Its record in results.jsonl: what was retrieved and answered, and the
scores that follow.

The rules (docs/evaluation.md "For evaluators"):

- Retrieval metrics skip unanswerable questions and questions without gold evidence (hits, MAP,
  MRR) or without gold articles (article recall), as the benchmark skips null queries.
- Accuracy is scored on the *short answer* only, with the benchmark's lenient word-overlap rule;
  exact match and token F1 use the same text. A full answer with citations shares a word with
  almost any gold answer, so it is never scored; an abstention, or an answer with no short answer
  to a question that asks for one, is wrong. A question that asks for a longer answer (its `shape`
  is not "fact") has no accuracy: key facts and claims judge it. With several gold answers a
  question scores its best match.
- Claims are judged from their own quotes by `qa.evaluation.judge`; article sentences given
  verbatim are counted apart, as the share of the answer in the articles' own words.
- Key facts are stated when every content word of a phrasing is in the answer; a phrasing made of
  the question's own words gives no credit.
- A citation is *correct* when its quote contains a gold fact by the benchmark's substring rule, or
  when it is marked `supported` and points at a gold article (by URL or article id).

Every score that follows from the record alone is computed by `rescore`, so the records of a run
written under older rules are scored again under these when a run is resumed or its report rebuilt.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from qa.answering.markers import strip_markers
from qa.evaluation.judge import judge_claim
from qa.evaluation.metrics import (
    average_precision_at_k,
    exact_match,
    hits_at_k,
    is_lenient_correct,
    is_unfounded,
    key_fact_recall,
    normalize_fact,
    recall_articles_at_k,
    reciprocal_rank_at_k,
    token_f1,
)
from qa.evaluation.questions import Question
from qa.evaluation.summary import RETRIEVAL_METRICS, share
from qa.types import Answer, Citation, Hit

SHORT_ANSWER_SHAPES = ("", "fact")  # a question asking for another shape is not scored on accuracy


def score_question(question: Question, hits: list[Hit], answer: Answer | None, retrieve_ms: float) -> dict[str, Any]:
    """The JSON record of one question: what was retrieved and answered, and its scores."""
    record: dict[str, Any] = {
        "id": question.id,
        "question": question.question,
        "type": question.question_type,
        "expected_shape": question.shape or None,
        "follow_up": bool(question.history),
        "answerable": question.answerable,
        "gold_answers": question.answers,
        "gold_articles": question.gold_articles,
        "evidence": question.evidence,
        "key_facts": question.key_facts,
        "retrieve_ms": retrieve_ms,
        "retrieved": [
            {"chunk_id": h.chunk_id, "article_id": h.article_id, "url": h.url, "title": h.title, "score": h.score, "text": h.text}
            for h in hits
        ],
        "retrieval": retrieval_scores(question, hits),
        "answer": None,
        "correct": None,
        "citation_counts": None,
        "coverage": None,
        "read": None,
    }
    if answer is None:
        return record
    gold = question.answerable and bool(question.evidence or question.gold_articles)
    record["answer"] = {
        "text": answer.answer,
        "short_answer": answer.short_answer,
        "abstained": answer.abstained,
        "model": answer.model,
        "timings": answer.timings,
        "used_chunk_ids": [h.chunk_id for h in answer.hits],
        "shape": answer.shape,
        "claims_written": answer.claims_written,
        "citations": [
            {"n": c.n, "article_id": c.article_id, "url": c.url, "title": c.title, "source": c.source,
             "published_at": c.published_at, "quote": c.quote, "supported": c.supported, "chunk_id": c.chunk_id,
             "correct": is_citation_correct(c, question) if gold else None}
            for c in answer.citations
        ],
        "claims": [
            {"text": c.text, "cited": list(c.cited), "supported": c.supported, "verbatim": c.verbatim,
             "quotes": [q.quote for q in c.quotes]}
            for c in answer.claims
        ],
    }
    record["read"] = read_scores(question, answer)
    if gold:
        cited = [g for g in question.gold_articles if any(_is_gold(c.url, c.article_id, [g]) for c in answer.citations)]
        record["citation_counts"] = {
            "cited": len(answer.citations),
            "correct": sum(1 for c in record["answer"]["citations"] if c["correct"]),
            "gold_articles": len(question.gold_articles),
            "gold_articles_cited": len(cited),
        }
    return rescore(record)


def rescore(record: dict[str, Any]) -> dict[str, Any]:
    """The record with every score that follows from it alone — accuracy, the judge's verdict on each
    claim, coverage — computed under the current rules. Key-fact recall is kept as stored when the
    record does not hold its key facts (records written before they were stored)."""
    answer = record.get("answer")
    if answer is None:
        return record
    articles = {c["n"]: article_context(c) for c in answer["citations"]}
    claims = [judged_claim(c, " ".join(articles.get(n, "") for n in c["cited"])) for c in answer["claims"]]
    record = {**record, "answer": {**answer, "claims": claims}}
    record["correct"] = answer_scores(record)
    record["coverage"] = coverage_scores(record)
    return record


def answer_scores(record: dict[str, Any]) -> dict[str, Any] | None:
    """Accuracy, exact match and F1 of the short answer; None for a question without gold answers,
    unanswerable, or asking for a longer answer than a fact."""
    if not record["answerable"] or not record["gold_answers"] or (record.get("expected_shape") or "") not in SHORT_ANSWER_SHAPES:
        return None
    answer = record["answer"]
    predicted = answer["short_answer"].strip()
    if answer["abstained"] or not predicted:
        return {"accuracy": False, "exact_match": 0.0, "f1": 0.0}
    gold = record["gold_answers"]
    return {
        "accuracy": any(is_lenient_correct(predicted, g) for g in gold),
        "exact_match": max(exact_match(predicted, g) for g in gold),
        "f1": max(token_f1(predicted, g) for g in gold),
    }


def judged_claim(claim: dict[str, Any], context: str = "") -> dict[str, Any]:
    """A claim of the record with the judge's verdict: `judged_supported` (None when not judged),
    `judge` (why not) and `quote_coverage`; `context` is `article_context` of the articles it cites.
    A record written before claims carried `verbatim` counts a claim that is exactly its one quote
    as verbatim."""
    verbatim = claim.get("verbatim")
    if verbatim is None:
        verbatim = len(claim["quotes"]) == 1 and " ".join(claim["quotes"][0].split()) == " ".join(claim["text"].split())
    verdict = judge_claim(claim["text"], claim["quotes"], claim["supported"], verbatim, context)
    return {**claim, "verbatim": verbatim, "judged_supported": verdict.supported, "judge": verdict.reason,
            "quote_coverage": list(verdict.coverage)}


def article_context(citation: dict[str, Any]) -> str:
    """What a reader sees beside a quote: its article's title, outlet and date ("December 6, 2023").
    Records written before citations kept the outlet give the URL's host instead."""
    day = ""
    if citation.get("published_at"):
        try:
            day = datetime.fromisoformat(citation["published_at"][:10]).strftime("%B %d, %Y")
        except ValueError:
            day = citation["published_at"]
    outlet = citation.get("source") or urlsplit(citation.get("url") or "").hostname or ""
    return " ".join(part for part in (citation.get("title") or "", outlet, day) if part)


def coverage_scores(record: dict[str, Any]) -> dict[str, Any]:
    """Key facts stated (questions that list them); the claims the judge supports; how many claims
    the model wrote, how many are shown, and the share of the answer that is article sentences
    given verbatim (by words)."""
    answer = record["answer"]
    claims = answer["claims"]
    judged = [c["judged_supported"] for c in claims if c["judged_supported"] is not None]
    recall = (record.get("coverage") or {}).get("key_fact_recall")
    if "key_facts" in record:
        recall = None
        if record["answerable"] and record["key_facts"]:
            text = strip_markers(answer["text"])
            recall = 0.0 if answer["abstained"] else key_fact_recall(text, record["key_facts"], record["question"])
    words = [len(c["text"].split()) for c in claims]
    verbatim_words = sum(n for n, c in zip(words, claims) if c["verbatim"])
    return {
        "key_fact_recall": recall,
        "claim_support": share(judged) if not answer["abstained"] else None,
        "claims": len(judged),
        "claims_supported": sum(judged),
        "claims_written": answer.get("claims_written"),
        "claims_shown": len(claims),
        "claims_verbatim": sum(1 for c in claims if c["verbatim"]),
        "claim_words": sum(words),
        "verbatim_words": verbatim_words,
        "verbatim_share": verbatim_words / sum(words) if sum(words) and not answer["abstained"] else None,
        "articles_cited": len({c["article_id"] for c in answer["citations"]}),
    }


def read_scores(question: Question, answer: Answer) -> dict[str, Any]:
    """What the answer read and said, judged from the answer alone: gold-article recall over the
    first 4 passages it read (for a follow-up: after the conversation was resolved), whether its
    shape is the one asked for, and whether a name or number it gave is unfounded (no quote, read
    with its article's title, holds it together with half the question's words)."""
    recall = None
    if question.answerable and question.gold_articles:
        gold = set(question.gold_articles)
        keys = [h.url if h.url and h.url in gold else h.article_id for h in answer.hits]
        recall = recall_articles_at_k(keys, gold, 4)
    # Each quote with its article's title: "18% of the country's GDP" is about Israel when the title says so.
    titles = {c.n: c.title for c in answer.citations}
    quotes = [f"{titles.get(q.n, '')} {q.quote}" for c in answer.claims for q in c.quotes]
    quotes += [f"{c.title} {c.quote}" for c in answer.citations]
    unfounded = not answer.abstained and bool(answer.short_answer) and is_unfounded(answer.short_answer, question.question, quotes)
    return {
        "recall@4": recall,
        "shape_correct": (answer.shape == question.shape) if question.shape else None,
        "unfounded_name_or_number": unfounded,
    }


def retrieval_scores(question: Question, hits: list[Hit]) -> dict[str, float | None] | None:
    """Benchmark retrieval metrics for one question; None for an unanswerable question."""
    if not question.answerable or not (question.evidence or question.gold_articles):
        return None
    scores: dict[str, float | None] = dict.fromkeys(RETRIEVAL_METRICS)
    texts = [h.text for h in hits]
    if question.evidence:
        scores["hits@4"] = hits_at_k(texts, question.evidence, 4)
        scores["hits@10"] = hits_at_k(texts, question.evidence, 10)
        scores["map@10"] = average_precision_at_k(texts, question.evidence, 10)
        scores["mrr@10"] = reciprocal_rank_at_k(texts, question.evidence, 10)
    if question.gold_articles:
        gold = set(question.gold_articles)
        # One key per chunk: the gold entry it matches (by URL or id), else its article id.
        keys = [h.url if h.url and h.url in gold else h.article_id for h in hits]
        scores["recall@4"] = recall_articles_at_k(keys, gold, 4)
        scores["recall@10"] = recall_articles_at_k(keys, gold, 10)
    return scores


def is_citation_correct(citation: Citation, question: Question) -> bool:
    """The quote holds a gold fact (benchmark substring rule), or it is `supported` and cites a gold article."""
    quote = normalize_fact(citation.quote)
    if any(fact and fact in quote for fact in map(normalize_fact, question.evidence)):
        return True
    return citation.supported and _is_gold(citation.url, citation.article_id, question.gold_articles)


def _is_gold(url: str, article_id: str, gold_articles: list[str]) -> bool:
    return bool(url and url in gold_articles) or article_id in gold_articles

