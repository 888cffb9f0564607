"""What a run measured, from its per-question records: means per question type, latency
percentiles, abstention and citation shares — the numbers in metrics.json."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from qa.answering.answer import EVIDENCE_LEAD
from qa.evaluation.metrics import mean, percentile

RETRIEVAL_METRICS = ("hits@4", "hits@10", "map@10", "mrr@10", "recall@4", "recall@10")
ANSWER_METRICS = ("accuracy", "exact_match", "f1")


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """All metrics from per-question records (the lines of results.jsonl)."""
    answered = [r for r in records if r["answer"] is not None]
    metrics: dict[str, Any] = {
        "kind": set_kind(records),
        "retrieval": means_by_type(records, "retrieval", RETRIEVAL_METRICS),
        "answers": means_by_type(records, "correct", ANSWER_METRICS) if answered else None,
        "abstention": None,
        "citations": None,
        "latency_ms": {
            "retrieval": p50_p95([r["retrieve_ms"] for r in records]),
            "first_token": p50_p95([r["answer"]["timings"].get("first_token_ms") for r in answered]),
            # The first verified sentence sent (or the final decline): what a reader waits for now.
            "first_claim": p50_p95([r["answer"]["timings"].get("first_claim_ms") for r in answered]),
            "total": p50_p95([r["answer"]["timings"].get("total_ms") for r in answered]),
        },
        "counts": {
            "evaluated": len(records),
            "answerable": sum(1 for r in records if r["answerable"]),
            "retrieval_scored": sum(1 for r in records if r["retrieval"] is not None),
            "answers_scored": sum(1 for r in records if r["correct"] is not None),
        },
    }
    if answered:
        metrics["abstention"] = {
            "unanswerable_abstained": share([r["answer"]["abstained"] for r in answered if not r["answerable"]]),
            "answerable_abstained": share([r["answer"]["abstained"] for r in answered if r["answerable"]]),
            # Not declined, but no answer of the model's own either: the closest article sentences,
            # shown under their lead ("The articles do not answer this directly; …").
            "unanswerable_evidence_only": share([evidence_only(r) for r in answered if not r["answerable"]]),
            "answerable_evidence_only": share([evidence_only(r) for r in answered if r["answerable"]]),
        }
        coverage = [r for r in answered if r.get("coverage")]
        metrics["coverage"] = coverage_metrics(coverage) if coverage else None
        metrics["latency_by_type_ms"] = {
            t: {"first_token_p50": p50_p95([r["answer"]["timings"].get("first_token_ms") for r in answered if r["type"] == t])["p50"],
                "first_claim_p50": p50_p95([r["answer"]["timings"].get("first_claim_ms") for r in answered if r["type"] == t])["p50"],
                "total_p50": p50_p95([r["answer"]["timings"].get("total_ms") for r in answered if r["type"] == t])["p50"],
                "n": sum(1 for r in answered if r["type"] == t)}
            for t in sorted({r["type"] for r in answered})
        }
        metrics["latency_by_shape_ms"] = {
            s: {"first_token_p50": p50_p95([r["answer"]["timings"].get("first_token_ms") for r in shaped])["p50"],
                "first_claim_p50": p50_p95([r["answer"]["timings"].get("first_claim_ms") for r in shaped])["p50"],
                "n": len(shaped)}
            for s in sorted({r["answer"].get("shape", "") for r in answered})
            if (shaped := [r for r in answered if r["answer"].get("shape", "") == s])
        }
        metrics["understanding"] = understanding_metrics(answered)
        counts = [r["citation_counts"] for r in answered if r["citation_counts"] is not None]
        metrics["citations"] = {
            "precision": ratio(sum(c["correct"] for c in counts), sum(c["cited"] for c in counts)),
            "recall": ratio(sum(c["gold_articles_cited"] for c in counts), sum(c["gold_articles"] for c in counts)),
        }
    return metrics


def evidence_only(record: dict[str, Any]) -> bool:
    """Was the reply the closest sentences of the articles rather than an answer?"""
    return not record["answer"]["abstained"] and record["answer"]["text"].startswith(EVIDENCE_LEAD)


def set_kind(records: list[dict[str, Any]]) -> str:
    """"benchmark" for a set with gold evidence sentences and no key facts (MultiHop-RAG), "chat" for
    one with key facts and no evidence sentences (benchmarks/questions/*.jsonl), else "mixed"."""
    evidence = any(r.get("evidence") for r in records)
    key_facts = any(r.get("key_facts") or (r.get("coverage") or {}).get("key_fact_recall") is not None for r in records)
    if evidence != key_facts:
        return "benchmark" if evidence else "chat"
    return "mixed"


def coverage_metrics(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Key-fact recall (mean over questions that list key facts), the share of judged claims the
    judge supports and the share of the answers' words that are article sentences given verbatim
    (both pooled: a long answer weighs more), how many claims the model wrote, how many are shown
    and how many of those are article sentences."""

    def pooled(rows: list[dict[str, Any]]) -> dict[str, float | None]:
        said = [r["coverage"] for r in rows if not r["answer"]["abstained"]]
        return {
            "claim_support": ratio(sum(c["claims_supported"] for c in said), sum(c["claims"] for c in said)),
            "verbatim_share": ratio(sum(c.get("verbatim_words", 0) for c in said), sum(c.get("claim_words", 0) for c in said)),
        }

    recall = means_by_type([r for r in records if r["coverage"]["key_fact_recall"] is not None], "coverage", ("key_fact_recall",))
    written = [r["coverage"].get("claims_written") for r in records]
    types = sorted({r["type"] for r in records})
    return {
        "key_fact_recall": recall["key_fact_recall"],
        **pooled(records),
        # None when some answer did not record it (written before answers counted their sentences)
        "claims_written": None if None in written else sum(written),
        "claims_shown": sum(r["coverage"].get("claims_shown", 0) for r in records),
        "claims_verbatim": sum(r["coverage"].get("claims_verbatim", 0) for r in records),
        "by_type": {
            t: {"key_fact_recall": (recall["by_type"].get(t) or {}).get("key_fact_recall"),
                **pooled([r for r in records if r["type"] == t])}
            for t in types
        },
    }


def understanding_metrics(answered: list[dict[str, Any]]) -> dict[str, Any]:
    """Shape accuracy (overall and per expected shape), gold-article recall@4 of what was read for
    follow-ups and first questions, and answers whose name or number no quote ties to the question."""
    read = [r for r in answered if r.get("read")]
    shaped = [r for r in read if r["read"]["shape_correct"] is not None]
    by_shape: dict[str, list[bool]] = defaultdict(list)
    for r in shaped:
        by_shape[r["expected_shape"]].append(r["read"]["shape_correct"])

    def recall(rows: list[dict[str, Any]]) -> float | None:
        values = [r["read"]["recall@4"] for r in rows if r["read"]["recall@4"] is not None]
        return mean(values) if values else None

    return {
        "shape_accuracy": share([r["read"]["shape_correct"] for r in shaped]),
        "shape_accuracy_by_shape": {s: {"accuracy": share(v), "n": len(v)} for s, v in sorted(by_shape.items())},
        "follow_up_read_recall@4": recall([r for r in read if r.get("follow_up")]),
        "first_question_read_recall@4": recall([r for r in read if not r.get("follow_up")]),
        "unfounded_names_or_numbers": sum(1 for r in read if r["read"]["unfounded_name_or_number"]),
        "unfounded_on_unanswerable": sum(1 for r in read if r["read"]["unfounded_name_or_number"] and not r["answerable"]),
    }


def means_by_type(records: list[dict[str, Any]], field: str, names: tuple[str, ...]) -> dict[str, Any]:
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        if record[field] is not None:
            by_type[record["type"]].append(record[field])
    rows = [row for group in by_type.values() for row in group]
    return {**means(rows, names), "by_type": {t: means(by_type[t], names) for t in sorted(by_type)}}


def means(rows: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name in names:
        values = [float(row[name]) for row in rows if row.get(name) is not None]
        out[name] = mean(values) if values else None
    return out


def p50_p95(values: list[float | None]) -> dict[str, float | None]:
    present = [v for v in values if v is not None]
    if not present:  # None, not nan: "no measurements" must not pass for a number
        return {"p50": None, "p95": None, "n": 0}
    return {"p50": percentile(present, 50), "p95": percentile(present, 95), "n": len(present)}


def share(flags: list[bool]) -> float | None:
    return ratio(sum(flags), len(flags))


def ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None
