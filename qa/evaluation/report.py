"""How is an evaluation run shown? Its metrics as text, Markdown and HTML tables, with PNG plots.

Every cell is escaped (question text is data, and may hold markup); plots are drawn with
matplotlib's Agg canvas, saved next to the reports and embedded in the HTML as base64.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import QAError

_SECTIONS = ("retrieval", "answers", "abstention", "citations", "coverage")  # shown in this order; a None section is skipped
_BY_TYPE_PLOTTED = (("retrieval", "hits@10"), ("retrieval", "mrr@10"), ("retrieval", "recall@10"), ("answers", "accuracy"))
_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;margin:0 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;"
    "text-align:left;vertical-align:top}th{background:#f3f3f3}img{max-width:100%}"
)


@dataclass(frozen=True)
class Table:
    """A titled table of already formatted cells."""

    title: str
    headers: list[str]
    rows: list[list[str]]


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


def summary_text(metrics: dict[str, Any], other: dict[str, Any] | None = None) -> str:
    """The metric tables as aligned plain text, for the terminal."""
    return "\n\n".join(_render_text(t) for t in _metric_tables(metrics, other, by_type_changes=False))


def side_by_side(runs: dict[str, dict[str, Any]]) -> str:
    """The headline metrics of several runs (dev and test) in one aligned table, per-type rows left out."""
    flat = {name: flatten_metrics(metrics) for name, metrics in runs.items()}
    names = [n for n in dict.fromkeys(k for f in flat.values() for k in f)
             if ".by_type." not in n and "_by_shape." not in n and not n.startswith("latency_by_type")]
    rows = [[n, *(_fmt(flat[run].get(n)) for run in runs)] for n in names]
    return _render_text(Table("Side by side", ["metric", *runs], rows))


def write_reports(
    out_dir: Path, metrics: dict[str, Any], records: list[dict[str, Any]], other: dict[str, Any] | None = None
) -> Path:
    """Write report.md, report.html and their PNG plots into `out_dir`; return the HTML path."""
    plots = {"by_type.png": ("Metrics by question type", _plot_by_type(metrics))}
    plots["latency.png"] = ("Latency distribution", _plot_latency(records))
    if other is not None:
        plots["compare.png"] = ("This run beside the other run", _plot_comparison(metrics, other))
    for name, (_, png) in plots.items():
        (out_dir / name).write_bytes(png)
    metric_tables, detail_tables = _metric_tables(metrics, other), [_config_table(metrics), _questions_table(records)]
    title = f"Evaluation report — {metrics.get('config', {}).get('timestamp', '')}"
    markdown = [f"# {_md(title)}", "", *(_render_markdown(t) for t in metric_tables)]
    markdown += [f"## {_md(caption)}\n\n![{_md(caption)}]({name})\n" for name, (caption, _) in plots.items()]
    markdown += [_render_markdown(t) for t in detail_tables]
    (out_dir / "report.md").write_text("\n".join(markdown), encoding="utf-8")
    body = [f"<h1>{html.escape(title)}</h1>", *(_render_html(t) for t in metric_tables)]
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


def _metric_tables(metrics: dict[str, Any], other: dict[str, Any] | None, by_type_changes: bool = True) -> list[Table]:
    tables = [Table("Counts", ["count", "value"], [[k, str(v)] for k, v in metrics["counts"].items()])]
    for section in _SECTIONS:
        values = metrics.get(section)
        if values is None:
            continue
        names = _names(values)
        tables.append(Table(section.capitalize(), ["metric", "value"], [[n, _fmt(values.get(n))] for n in names]))
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
            "Latency by question type (ms)", ["type", "first token p50", "total p50", "n"],
            [[t, _fmt(v["first_token_p50"], 1), _fmt(v["total_p50"], 1), str(v["n"])] for t, v in by_type.items()],
        ))
    if other is not None:
        tables.append(_comparison_table(metrics, other, by_type_changes))
    return tables


def _comparison_table(metrics: dict[str, Any], other: dict[str, Any], by_type: bool = True) -> Table:
    mine, theirs = flatten_metrics(metrics), flatten_metrics(other)
    rows = []
    for name in [*mine, *(n for n in theirs if n not in mine)]:
        if not by_type and ".by_type." in name:
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
            answer.get("short_answer") or answer.get("text", ""), _fmt(correct.get("accuracy")),
            _fmt(answer.get("abstained")),
        ])
    headers = ["id", "type", "question", "hits@10", "mrr@10", "answer", "correct", "abstained"]
    return Table("Questions", headers, rows)


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _render_text(table: Table) -> str:
    widths = [max(len(row[i]) for row in [table.headers, *table.rows]) for i in range(len(table.headers))]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([table.title, line(table.headers), *(line(row) for row in table.rows)])


def _md(text: str) -> str:
    # Escaped as HTML too: Markdown renderers pass raw HTML through.
    return html.escape(" ".join(text.split()), quote=False).replace("|", "\\|")


def _render_markdown(table: Table) -> str:
    lines = [f"## {_md(table.title)}", "", "| " + " | ".join(map(_md, table.headers)) + " |"]
    lines.append("|" + "---|" * len(table.headers))
    lines += ["| " + " | ".join(map(_md, row)) + " |" for row in table.rows]
    return "\n".join(lines) + "\n"


def _render_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c, quote=False)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"<h2>{html.escape(table.title)}</h2>\n<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _figure_png(draw: Callable[[Any], None], width: float = 8, height: float = 4) -> bytes:
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    draw(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def _bars(axes: Any, groups: list[str], series: dict[str, list[float]]) -> None:
    width = 0.8 / max(len(series), 1)
    for i, (label, values) in enumerate(series.items()):
        axes.bar([g + i * width for g in range(len(groups))], values, width, label=label)
    axes.set_xticks([g + width * (len(series) - 1) / 2 for g in range(len(groups))], groups, rotation=20, ha="right")
    axes.set_ylim(0, 1.05)
    if series:
        axes.legend(fontsize="small")


def _plot_by_type(metrics: dict[str, Any]) -> bytes:
    types = sorted({t for section in ("retrieval", "answers") for t in ((metrics.get(section) or {}).get("by_type") or {})})
    series = {}
    for section, name in _BY_TYPE_PLOTTED:
        by_type = (metrics.get(section) or {}).get("by_type")
        if by_type:
            series[f"{section} {name}"] = [_num((by_type.get(t) or {}).get(name)) for t in types]
    return _figure_png(lambda figure: _bars(figure.subplots(), types, series))


def _plot_latency(records: list[dict[str, Any]]) -> bytes:
    stages = {"retrieval": [r["retrieve_ms"] for r in records]}
    totals = [r["answer"]["timings"].get("total_ms") for r in records if r["answer"]]
    if any(t is not None for t in totals):
        stages["answer total"] = [t for t in totals if t is not None]

    def draw(figure: Any) -> None:
        for axes, (stage, values) in zip(figure.subplots(1, len(stages), squeeze=False)[0], stages.items()):
            axes.hist(values, bins=30)
            axes.set(title=f"{stage} (n={len(values)})", xlabel="ms", ylabel="questions")

    return _figure_png(draw)


def _plot_comparison(metrics: dict[str, Any], other: dict[str, Any]) -> bytes:
    names = [f"{s}.{n}" for s in _SECTIONS for n in dict.fromkeys([*_names(metrics.get(s)), *_names(other.get(s))])]
    mine, theirs = flatten_metrics(metrics), flatten_metrics(other)
    series = {"this run": [_num(mine.get(n)) for n in names], "other run": [_num(theirs.get(n)) for n in names]}
    return _figure_png(lambda figure: _bars(figure.subplots(), names, series), width=10)


def _names(section: dict[str, Any] | None) -> list[str]:
    return [name for name in section or {} if name != "by_type"]


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)
