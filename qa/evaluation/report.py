"""How is an evaluation run shown? A report that opens with what an evaluator reads first — the
metrics that apply to this kind of set, each beside its --fail-under target, then the questions that
failed, worst first, with their answers, claims, quotes and the judge's verdicts, then (with
--compare) the questions whose outcome changed — followed by every metric table, plots, the
configuration and all questions; as Markdown, HTML and terminal text.

Every cell is escaped (question text is data, and may hold markup); plots (`qa.evaluation.plots`)
are saved next to the reports and embedded in the HTML as base64.
"""

from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.evaluation.outcomes import changed, failed_first, missed_key_facts, outcome
from qa.evaluation.plots import plot_by_type, plot_comparison, plot_latency

_SECTIONS = ("retrieval", "answers", "abstention", "citations", "coverage")  # shown in this order; a None section is skipped
# The summary at the top: dotted metric, what it is. Rows a set does not measure are left out.
HEADLINE = (
    ("answers.accuracy", "accuracy (short answer, benchmark's lenient rule)"),
    ("answers.exact_match", "exact match (short answer)"),
    ("answers.f1", "token F1 (short answer)"),
    ("retrieval.hits@4", "Hits@4"),
    ("retrieval.hits@10", "Hits@10"),
    ("retrieval.map@10", "MAP@10"),
    ("retrieval.mrr@10", "MRR@10"),
    ("retrieval.recall@4", "gold-article recall@4 (retrieved)"),
    ("retrieval.recall@10", "gold-article recall@10 (retrieved)"),
    ("abstention.answerable_abstained", "answerable questions declined"),
    ("abstention.unanswerable_abstained", "unanswerable questions declined"),
    ("abstention.answerable_evidence_only", "answerable questions given only the closest sentences"),
    ("abstention.unanswerable_evidence_only", "unanswerable questions given only the closest sentences"),
    ("coverage.key_fact_recall", "key-fact recall"),
    ("coverage.claim_support", "claims the judge supports"),
    ("coverage.verbatim_share", "share of the answers in the articles' own words"),
    ("coverage.claims_written", "claims the model wrote"),
    ("coverage.claims_shown", "claims shown"),
    ("coverage.claims_verbatim", "claims shown that are article sentences"),
    ("citations.precision", "citation precision"),
    ("citations.recall", "citation recall"),
    ("understanding.shape_accuracy", "shape accuracy"),
    ("understanding.follow_up_read_recall@4", "follow-up gold-article recall@4 (read)"),
    ("understanding.unfounded_names_or_numbers", "answers with an unfounded name or number"),
    ("latency_ms.first_token.p50", "first token p50 (s)"),
    ("latency_ms.first_claim.p50", "first verified sentence p50 (s)"),
    ("latency_ms.total.p50", "total p50 (s)"),
)
# What a kind of set does not measure: a chat set has no gold evidence sentences (so no Hits@k, MAP,
# MRR) and reference answers, not short ones (so no exact match or F1); a benchmark set no key facts.
NOT_MEASURED = {
    "chat": ("answers.exact_match", "answers.f1", "retrieval.hits@4", "retrieval.hits@10", "retrieval.map@10", "retrieval.mrr@10"),
    "benchmark": ("coverage.key_fact_recall",),
}
KINDS = {
    "chat": "Chat set (key facts, gold articles, reference answers)",
    "benchmark": "Benchmark set (gold evidence sentences and short answers)",
    "mixed": "Question set",
}
_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;margin:0 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;"
    "text-align:left;vertical-align:top}th{background:#f3f3f3}img{max-width:100%}"
    "section{border-top:1px solid #ccc;margin:1rem 0}dt{font-weight:600}blockquote{margin:.2rem 1rem;color:#444}"
)
Other = tuple[dict[str, Any], list[dict[str, Any]]]  # an earlier run: its metrics and its records


@dataclass(frozen=True)
class Table:
    """A titled table of already formatted cells."""

    title: str
    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Detail:
    """One question shown in full: a title, labelled fields, and items (a claim) with sub-items (its quotes)."""

    title: str
    fields: list[tuple[str, str]]
    items: list[tuple[str, list[str]]] = field(default_factory=list)


def read_metrics(run_dir: Path) -> dict[str, Any]:
    """The metrics.json of an earlier run folder."""
    path = run_dir / "metrics.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QAError(f"No metrics.json in {run_dir}/ — give --compare a folder written by `qa eval`.") from None
    except json.JSONDecodeError as exc:
        raise QAError(f"{path} is not valid JSON ({exc.msg}).") from None


def flatten_metrics(metrics: dict[str, Any], prefix: str = "") -> dict[str, float | None]:
    """Numeric metrics by dotted name ("retrieval.hits@10", "retrieval.by_type.x.mrr@10"); config is left out."""
    flat: dict[str, float | None] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if name == "config":
            continue
        if isinstance(value, dict):
            flat.update(flatten_metrics(value, f"{name}."))
        elif (value is None and prefix) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            flat[name] = value  # a section that is None (not measured) has no names to list
    return flat


def summary_text(metrics: dict[str, Any], other: dict[str, Any] | None = None, targets: dict[str, float] | None = None) -> str:
    """The summary with its targets, then the metric tables, as aligned plain text for the terminal."""
    tables = [summary_table(metrics, targets), *_metric_tables(metrics, other, by_type_changes=False)]
    return "\n\n".join(_render_text(t) for t in tables)


def side_by_side(runs: dict[str, dict[str, Any]]) -> str:
    """The headline metrics of several runs (dev and test) in one aligned table, per-type rows left out."""
    flat = {name: flatten_metrics(metrics) for name, metrics in runs.items()}
    names = [n for n in dict.fromkeys(k for f in flat.values() for k in f)
             if ".by_type." not in n and "_by_shape." not in n and not n.startswith("latency_by_type")]
    rows = [[n, *(_fmt(flat[run].get(n)) for run in runs)] for n in names]
    return _render_text(Table("Side by side", ["metric", *runs], rows))


def write_reports(
    out_dir: Path, metrics: dict[str, Any], records: list[dict[str, Any]], other: Other | None = None,
    targets: dict[str, float] | None = None,
) -> Path:
    """Write report.md, report.html and their PNG plots into `out_dir`; return the HTML path."""
    plots = {"by_type.png": ("Metrics by question type", plot_by_type(metrics))}
    plots["latency.png"] = ("Latency distribution", plot_latency(records))
    if other is not None:
        plots["compare.png"] = ("This run beside the other run", _comparison_plot(metrics, other[0]))
    for name, (_, png) in plots.items():
        (out_dir / name).write_bytes(png)
    failed = failed_first(records)
    kind = metrics.get("kind", "mixed")
    lead = (f"{KINDS.get(kind, KINDS['mixed'])}: {metrics['counts']['evaluated']} questions evaluated "
            f"({metrics['counts']['answerable']} answerable); {len(failed)} failed. How each figure is scored: docs/evaluation.md.")
    first = [summary_table(metrics, targets)]
    details = [_detail(record, result, rank) for rank, (record, result) in enumerate(failed, start=1)]
    failed_title = f"Failed questions, worst first ({len(failed)} of {len(records)})"
    moved = [_changed_table(records, other)] if other is not None else []
    rest = [*moved, *_metric_tables(metrics, other[0] if other else None)]
    detail_tables = [_config_table(metrics), _questions_table(records)]
    config = metrics.get("config", {})
    title = f"Evaluation report — {config.get('timestamp') or config.get('rescored', {}).get('timestamp', '')}"

    markdown = [f"# {_md(title)}", "", _md(lead), "", *(_render_markdown(t) for t in first), f"## {_md(failed_title)}", ""]
    markdown += [_render_detail_markdown(d) for d in details] or ["None.\n"]
    markdown += [_render_markdown(t) for t in rest]
    markdown += [f"## {_md(caption)}\n\n![{_md(caption)}]({name})\n" for name, (caption, _) in plots.items()]
    markdown += [_render_markdown(t) for t in detail_tables]
    (out_dir / "report.md").write_text("\n".join(markdown), encoding="utf-8")

    body = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(lead)}</p>", *(_render_html(t) for t in first)]
    body += [f"<h2>{html.escape(failed_title)}</h2>", *([_render_detail_html(d) for d in details] or ["<p>None.</p>"])]
    body += [_render_html(t) for t in rest]
    for caption, png in plots.values():
        data = base64.b64encode(png).decode("ascii")
        body.append(f'<h2>{html.escape(caption)}</h2><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">')
    body += [_render_html(t) for t in detail_tables]
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n<body>\n"
        + "\n".join(body) + "\n</body></html>\n"
    )
    path = out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def summary_table(metrics: dict[str, Any], targets: dict[str, float] | None = None) -> Table:
    """The metrics that apply to this kind of set, each beside its --fail-under target when one was
    given (and every target, whether or not it is a headline metric)."""
    values, targets = flatten_metrics(metrics), targets or {}
    rows = []
    for name, label in [*HEADLINE, *((t, t) for t in targets if t not in dict(HEADLINE))]:
        value = values.get(name)
        if name not in targets and (value is None or _is_hidden(name, metrics)):
            continue
        target = ""
        if name in targets:
            verdict = "not measured" if value is None else "met" if value >= targets[name] else "MISSED"
            target = f"≥ {targets[name]:g} — {verdict}"
        shown = _fmt(value / 1000, 1) if name.startswith("latency_ms.") and value is not None else _fmt(value)
        rows.append([label, shown, target])
        if name == "coverage.claims_shown" and values.get("coverage.claims_written") is None:
            rows.insert(-1, [dict(HEADLINE)["coverage.claims_written"], "not recorded (answers written before they counted it)", ""])
    headers = ["metric", "value", "target"] if targets else ["metric", "value"]
    return Table("Summary", headers, [row if targets else row[:2] for row in rows])


def _detail(record: dict[str, Any], result: Any, rank: int) -> Detail:
    answer = record["answer"] or {}
    kind = [record["type"], *([f"shape asked: {record['expected_shape']}"] if record.get("expected_shape") else []),
            *([f"answered: {answer['shape']}"] if answer.get("shape") else [])]
    fields = [("Problems", "; ".join(result.problems)), ("Type", "; ".join(kind))]
    if answer:
        fields.append(("Answer", answer["text"]))
    if record.get("gold_answers"):
        fields.append(("Gold answer", " | ".join(record["gold_answers"])))
    if missed := missed_key_facts(record):
        fields.append(("Key facts not stated", "; ".join(missed)))
    items = []
    for claim in answer.get("claims", []):
        judged = claim.get("judged_supported")
        verdict = "supported" if judged else f"not supported: {claim.get('judge', '')}" if judged is False \
            else f"not judged ({claim.get('judge', '')})"
        flag = "supported" if claim["supported"] else "unsupported"
        coverage = claim.get("quote_coverage") or [None] * len(claim["quotes"])
        quotes = [f"“{q}” (holds {_fmt(c, 2)} of its words)" for q, c in zip(claim["quotes"], coverage)]
        items.append((f"{claim['text']} — judge: {verdict}; answerer: {flag}", quotes or ["(no quote)"]))
    return Detail(f"{rank}. {record['id']} — {record['question']}", fields, items)


def _changed_table(records: list[dict[str, Any]], other: Other) -> Table:
    rows = [[r["id"], r["question"], was.label, now.label] for r, was, now in changed(records, other[1])]
    shared = len({r["id"] for r in records} & {r["id"] for r in other[1]})
    title = f"Questions whose outcome changed ({len(rows)} of the {shared} in both runs)"
    if not other[1]:
        title = "Questions whose outcome changed: the other run has no results.jsonl"
    return Table(title, ["id", "question", "other run", "this run"], rows)


def _comparison_plot(metrics: dict[str, Any], other: dict[str, Any]) -> bytes:
    mine, theirs = flatten_metrics(metrics), flatten_metrics(other)
    names = [n for n in dict.fromkeys([*mine, *theirs]) if n.split(".", 1)[0] in _SECTIONS and ".by_type." not in n
             and not _is_hidden(n, metrics) and all(v is None or 0 <= v <= 1 for v in (mine.get(n), theirs.get(n)))]
    return plot_comparison(names, mine, theirs)


def _metric_tables(metrics: dict[str, Any], other: dict[str, Any] | None, by_type_changes: bool = True) -> list[Table]:
    tables = [Table("Counts", ["count", "value"], [[k, str(v)] for k, v in metrics["counts"].items()])]
    for section in _SECTIONS:
        values = metrics.get(section)
        if values is None:
            continue
        names = [n for n in _names(values) if not _is_hidden(f"{section}.{n}", metrics)]
        tables.append(Table(section.capitalize(), ["metric", "value"], [[n, _fmt(values.get(n))] for n in names if values.get(n) is not None]))
        if "by_type" in values:
            tables.append(Table(
                f"{section.capitalize()} by question type", ["type", *names],
                [[t, *(_fmt(row.get(n)) for n in names)] for t, row in values["by_type"].items()],
            ))
    understood = metrics.get("understanding")
    if understood:
        rows = [[n, _fmt(v)] for n, v in understood.items() if not isinstance(v, dict)]
        rows += [[f"shape accuracy: {shape}", f"{_fmt(v['accuracy'])} (n={v['n']})"]
                 for shape, v in understood["shape_accuracy_by_shape"].items()]
        tables.append(Table("Understanding", ["metric", "value"], rows))
    latency = metrics["latency_ms"]
    tables.append(Table(
        "Latency (ms)", ["stage", "p50", "p95", "n"],
        [[stage, _fmt(v["p50"], 1), _fmt(v["p95"], 1), str(v["n"])] for stage, v in latency.items()],
    ))
    by_type = metrics.get("latency_by_type_ms")
    if by_type:
        tables.append(Table(
            "Latency by question type (ms)", ["type", "first token p50", "first verified sentence p50", "total p50", "n"],
            [[t, _fmt(v["first_token_p50"], 1), _fmt(v.get("first_claim_p50"), 1), _fmt(v["total_p50"], 1), str(v["n"])]
             for t, v in by_type.items()],
        ))
    by_shape = metrics.get("latency_by_shape_ms")
    if by_shape:
        tables.append(Table(
            "Latency by answer shape (ms)", ["shape", "first token p50", "first verified sentence p50", "n"],
            [[s, _fmt(v["first_token_p50"], 1), _fmt(v["first_claim_p50"], 1), str(v["n"])] for s, v in by_shape.items()],
        ))
    if other is not None:
        tables.append(_comparison_table(metrics, other, by_type_changes))
    return tables


def _comparison_table(metrics: dict[str, Any], other: dict[str, Any], by_type: bool = True) -> Table:
    mine, theirs = flatten_metrics(metrics), flatten_metrics(other)
    rows = []
    for name in [*mine, *(n for n in theirs if n not in mine)]:
        if (not by_type and ".by_type." in name) or _is_hidden(name, metrics):
            continue
        a, b = mine.get(name), theirs.get(name)
        diff = a - b if a is not None and b is not None else None
        rows.append([name, _fmt(a), _fmt(b), "—" if diff is None else f"{diff:+d}" if isinstance(diff, int) else f"{diff:+.3f}"])
    when = other.get("config", {}).get("timestamp", "")
    return Table(f"Comparison with the run of {when}", ["metric", "this run", "other run", "difference"], rows)


def _config_table(metrics: dict[str, Any]) -> Table:
    config = metrics.get("config", {})
    rows = [[key, json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)] for key, value in config.items()]
    return Table("Configuration", ["setting", "value"], rows)


def _questions_table(records: list[dict[str, Any]]) -> Table:
    rows = []
    for r in records:
        scores, answer, correct = r["retrieval"] or {}, r["answer"] or {}, r["correct"] or {}
        rows.append([
            r["id"], r["type"], r["question"], _fmt(scores.get("hits@10")), _fmt(scores.get("mrr@10")),
            _fmt(scores.get("recall@10")), answer.get("short_answer") or answer.get("text", ""), _fmt(correct.get("accuracy")),
            _fmt(answer.get("abstained")), "failed" if outcome(r).failed else "passed",
        ])
    headers = ["id", "type", "question", "hits@10", "mrr@10", "recall@10", "answer", "correct", "abstained", "outcome"]
    return Table("All questions", headers, rows)


def _names(section: dict[str, Any]) -> list[str]:
    return [name for name in section if name != "by_type"]


def _is_hidden(name: str, metrics: dict[str, Any]) -> bool:
    """A metric (or its per-type value, "retrieval.by_type.T.hits@10") this kind of set does not measure."""
    parts = name.split(".")
    return f"{parts[0]}.{parts[-1]}" in NOT_MEASURED.get(metrics.get("kind", "mixed"), ())


def _trimmed(table: Table) -> Table:
    """The table without columns (after the first) that hold nothing in any row."""
    keep = [i for i in range(len(table.headers)) if i == 0 or not table.rows or any(row[i] not in ("—", "") for row in table.rows)]
    return Table(table.title, [table.headers[i] for i in keep], [[row[i] for i in keep] for row in table.rows])


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _render_text(table: Table) -> str:
    table = _trimmed(table)
    widths = [max(len(row[i]) for row in [table.headers, *table.rows]) for i in range(len(table.headers))]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([table.title, line(table.headers), *(line(row) for row in table.rows)])


def _md(text: str) -> str:
    # Escaped as HTML too: Markdown renderers pass raw HTML through.
    return html.escape(" ".join(text.split()), quote=False).replace("|", "\\|")


def _render_markdown(table: Table) -> str:
    table = _trimmed(table)
    lines = [f"## {_md(table.title)}", "", "| " + " | ".join(map(_md, table.headers)) + " |"]
    lines.append("|" + "---|" * len(table.headers))
    lines += ["| " + " | ".join(map(_md, row)) + " |" for row in table.rows]
    return "\n".join(lines) + "\n"


def _render_html(table: Table) -> str:
    table = _trimmed(table)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c, quote=False)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"<h2>{html.escape(table.title)}</h2>\n<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"




def _render_detail_markdown(detail: Detail) -> str:
    lines = [f"### {_md(detail.title)}", ""]
    lines += [f"- **{_md(label)}:** {_md(text)}" for label, text in detail.fields]
    if detail.items:
        lines.append("- **Claims:**")
        for n, (item, subs) in enumerate(detail.items, start=1):
            lines.append(f"  {n}. {_md(item)}")
            lines += [f"     - {_md(sub)}" for sub in subs]
    return "\n".join(lines) + "\n"


def _render_detail_html(detail: Detail) -> str:
    fields = "".join(f"<dt>{html.escape(label)}</dt><dd>{html.escape(text, quote=False)}</dd>" for label, text in detail.fields)
    items = "".join(
        f"<li>{html.escape(item, quote=False)}<ul>" + "".join(f"<li>{html.escape(sub, quote=False)}</li>" for sub in subs) + "</ul></li>"
        for item, subs in detail.items
    )
    claims = f"<dt>Claims</dt><dd><ol>{items}</ol></dd>" if items else ""
    return f"<section><h3>{html.escape(detail.title)}</h3><dl>{fields}{claims}</dl></section>"
