"""How good are the answers? Run a question set through retrieval (and answering), score, report.

Scores follow the MultiHop-RAG benchmark through `qa.evaluation.metrics`; the choices made on top of it:

- Retrieval metrics skip unanswerable questions and questions without gold evidence (hits, MAP,
  MRR) or without gold articles (article recall), as the benchmark skips null queries.
- Answer accuracy is the benchmark's lenient word-overlap rule applied to the answer's
  `short_answer`, or to the full `answer` when that is empty. Upstream compared a short extracted
  answer (`The answer to the question is "X"`); a long answer with citations shares a word with
  almost any gold answer, so scoring it would inflate accuracy. Exact match and token F1 use the
  same text. With several gold answers a question scores its best match.
- A citation is *correct* when its quote contains a gold fact by the benchmark's substring rule
  (whitespace removed, any article: a syndicated copy of the sentence supports it as well), or
  when the citation is marked `supported` and points at a gold article (by URL or article id).
  Citation precision is correct citations / all citations, recall is gold articles cited / gold
  articles, both pooled over answerable questions.

Each question's record is appended to `results.jsonl` as soon as it is scored, so an interrupted
run resumes where it stopped; metrics are always recomputed from the whole file.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from qa import __version__
from qa.answering.markers import strip_markers
from qa.answering.prompt import content_words
from qa.errors import QAError
from qa.evaluation.metrics import (
    average_precision_at_k,
    exact_match,
    hits_at_k,
    is_lenient_correct,
    is_unfounded,
    key_fact_recall,
    normalize_fact,
    quotes_cover,
    recall_articles_at_k,
    reciprocal_rank_at_k,
    token_f1,
)
from qa.evaluation.questions import Question, fingerprint_questions
from qa.evaluation.report import read_metrics, write_reports
from qa.evaluation.summary import ANSWER_METRICS, RETRIEVAL_METRICS, share, summarize
from qa.types import Answer, Citation, Hit

Answerer = Callable[..., Answer]  # (question, history=..., now=...) -> Answer
RESULTS_FILE = "results.jsonl"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
METRIC_NAMES = {
    "retrieval": RETRIEVAL_METRICS,
    "answers": ANSWER_METRICS,
    "abstention": ("unanswerable_abstained", "answerable_abstained"),
    "citations": ("precision", "recall"),
    "coverage": ("key_fact_recall", "claim_support"),
}
MIN_CLAIM_WORDS = 3  # "27." or "Yes." is a direct answer, judged by accuracy, not a claim to quote
MIN_K = 10  # the benchmark's metrics look at the top 10 chunks


class Searcher(Protocol):
    """Anything that finds passages for a question (`qa.retrieval.retrieve.Retriever`, or a test fake)."""

    def search(self, query: str, k: int = 10) -> list[Hit]: ...


def run_eval(
    questions: Sequence[Question],
    retriever: Searcher,
    answerer: Answerer | None,
    out_dir: Path,
    *,
    k: int = 10,
    settings: dict[str, Any] | None = None,
    question_set: Sequence[Question] | None = None,
    compare_to: Path | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate `questions` into `out_dir` (resuming a run there) and return the metrics.

    `answerer` None means retrieval only. `settings` (model names, index folder...) and the full
    `question_set` the questions were drawn from (default: `questions`) identify the run: resuming
    into a folder that holds a run with other questions or settings is an error.
    """
    from tqdm import tqdm

    if k < MIN_K:
        raise QAError(f"--k must be at least {MIN_K}: the benchmark's metrics look at the top {MIN_K} chunks.")
    other = read_metrics(compare_to) if compare_to is not None else None
    # Round-tripped through JSON so that paths become strings, as run.json and metrics.json hold them.
    run_settings = json.loads(json.dumps({**(settings or {}), "k": k, "retrieval_only": answerer is None}, default=str))
    out_dir.mkdir(parents=True, exist_ok=True)
    _claim_run_folder(out_dir, fingerprint_questions(question_set or questions), run_settings)
    results_path = out_dir / RESULTS_FILE
    _drop_unfinished_line(results_path)
    done = {record["id"] for record in read_results(results_path)}
    todo = [q for q in questions if q.id not in done]
    bar = tqdm(total=len(todo), unit="question", desc="evaluating", file=sys.stderr, disable=not progress)
    with results_path.open("a", encoding="utf-8") as sink, bar:
        for question in todo:
            record = evaluate_question(question, retriever, answerer, k)
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
            sink.flush()
            bar.update()
    records = read_results(results_path)
    metrics = summarize(records)
    metrics["counts"]["questions"] = len(questions)
    metrics["config"] = _config(run_settings, retriever, records, reused=len(done))
    (out_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_reports(out_dir, metrics, records, other)
    return metrics


def evaluate_question(question: Question, retriever: Searcher, answerer: Answerer | None, k: int = 10) -> dict[str, Any]:
    """Retrieve (timed) and answer one question, and score it."""
    started = time.perf_counter()
    hits = retriever.search(question.question, k=k)
    retrieve_ms = (time.perf_counter() - started) * 1000
    answer = None
    if answerer is not None:
        context: dict[str, Any] = {}
        if question.history:
            from qa.answering.answer import Turn

            context["history"] = [Turn(t["question"], t["answer"]) for t in question.history]
        if question.now:
            context["now"] = date.fromisoformat(question.now)
        answer = answerer(question.question, **context)
    return score_question(question, hits, answer, retrieve_ms)


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
        "citations": [
            {"n": c.n, "article_id": c.article_id, "url": c.url, "title": c.title, "quote": c.quote,
             "supported": c.supported, "chunk_id": c.chunk_id,
             "correct": is_citation_correct(c, question) if gold else None}
            for c in answer.citations
        ],
        "claims": [
            {"text": c.text, "cited": list(c.cited), "supported": c.supported, "quotes": [q.quote for q in c.quotes],
             "judged_supported": quotes_cover(c.text, [q.quote for q in c.quotes])}
            for c in answer.claims
        ],
    }
    record["coverage"] = coverage_scores(question, answer, record["answer"]["claims"])
    record["read"] = read_scores(question, answer)
    if question.answerable and question.answers:
        predicted = answer.short_answer.strip() or answer.answer
        record["correct"] = {
            "accuracy": any(is_lenient_correct(predicted, g) for g in question.answers),
            "exact_match": max(exact_match(predicted, g) for g in question.answers),
            "f1": max(token_f1(predicted, g) for g in question.answers),
        }
    if gold:
        cited = [g for g in question.gold_articles if any(_is_gold(c.url, c.article_id, [g]) for c in answer.citations)]
        record["citation_counts"] = {
            "cited": len(answer.citations),
            "correct": sum(1 for c in record["answer"]["citations"] if c["correct"]),
            "gold_articles": len(question.gold_articles),
            "gold_articles_cited": len(cited),
        }
    return record


def coverage_scores(question: Question, answer: Answer, claims: list[dict[str, Any]]) -> dict[str, Any]:
    """Key facts stated (questions that list them) and claims whose own quotes support them."""
    judged = [c["judged_supported"] for c in claims if len(content_words(c["text"])) >= MIN_CLAIM_WORDS]
    recall = None
    if question.answerable and question.key_facts:
        recall = 0.0 if answer.abstained else key_fact_recall(strip_markers(answer.answer), question.key_facts, question.question)
    return {
        "key_fact_recall": recall,
        "claim_support": share(judged) if not answer.abstained else None,
        "claims": len(judged),
        "claims_supported": sum(judged),
        "articles_cited": len({c.article_id for c in answer.citations}),
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


def read_results(path: Path) -> list[dict[str, Any]]:
    """The records of a results.jsonl file ([] when there is none)."""
    if not path.exists():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                raise QAError(f"{path} line {number} is not valid JSON; delete that line to resume, or pick another --out.") from None
    return records


def code_revision() -> str | None:
    """`git rev-parse --short HEAD` of the checkout holding this package, "+dirty" with uncommitted
    changes to tracked files; None outside a git checkout."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5, check=True)
        return done.stdout.strip()

    try:
        revision = git("rev-parse", "--short", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{revision}+dirty" if dirty else revision


def _is_gold(url: str, article_id: str, gold_articles: list[str]) -> bool:
    return bool(url and url in gold_articles) or article_id in gold_articles


def _claim_run_folder(out_dir: Path, question_set: str, settings: dict[str, Any]) -> None:
    """Record what this run is in run.json, or check that the run already there is the same one."""
    identity = {"questions": question_set, "settings": settings}
    fingerprint = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    run_file = out_dir / RUN_FILE
    if run_file.exists():
        try:
            stored = json.loads(run_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            stored = {}
        if stored.get("fingerprint") == fingerprint:
            return
        if stored.get("questions") != question_set:
            what = "a different question set"
        else:
            old = stored.get("settings", {})
            changed = sorted(key for key in {*old, *identity["settings"]} if old.get(key) != identity["settings"].get(key))
            what = f"different settings ({', '.join(changed)})"
        raise QAError(f"{out_dir}/ holds a run with {what}, so it cannot be resumed; pick another --out (or delete {out_dir}/ to start over).")
    if (out_dir / RESULTS_FILE).exists():
        raise QAError(f"{out_dir}/ holds results.jsonl but no run.json, so it cannot be resumed safely; pick another --out.")
    run_file.write_text(json.dumps({"fingerprint": fingerprint, **identity}, indent=2) + "\n", encoding="utf-8")


def _drop_unfinished_line(path: Path) -> None:
    """Cut a final line that a crash left half-written, so appending starts on a fresh line."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as file:
            file.truncate(data.rfind(b"\n") + 1)


def _config(settings: dict[str, Any], retriever: Searcher, records: list[dict[str, Any]], reused: int) -> dict[str, Any]:
    store = getattr(retriever, "store", None)
    return {
        **settings,
        "answer_models": sorted({r["answer"]["model"] for r in records if r["answer"] is not None}),
        "index": store.counts() if store is not None else None,
        "version": __version__,
        "git": code_revision(),
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "reused_results": reused,  # records already in results.jsonl when this invocation began
    }
