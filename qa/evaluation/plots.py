"""The PNG plots of an evaluation report, drawn with matplotlib's Agg canvas (no display needed)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

_BY_TYPE_PLOTTED = (("retrieval", "hits@10"), ("retrieval", "mrr@10"), ("retrieval", "recall@10"), ("answers", "accuracy"))


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


def plot_by_type(metrics: dict[str, Any]) -> bytes:
    """Bars of the main metrics per question type."""
    types = sorted({t for section in ("retrieval", "answers") for t in ((metrics.get(section) or {}).get("by_type") or {})})
    series = {}
    for section, name in _BY_TYPE_PLOTTED:
        by_type = (metrics.get(section) or {}).get("by_type")
        values = [_num((by_type.get(t) or {}).get(name)) for t in types] if by_type else []
        if any(not math.isnan(v) for v in values):  # a metric this set does not measure is not drawn
            series[f"{section} {name}"] = values
    return _figure_png(lambda figure: _bars(figure.subplots(), types, series))


def plot_latency(records: list[dict[str, Any]]) -> bytes:
    """Histograms of retrieval and whole-answer latency."""
    stages = {"retrieval": [r["retrieve_ms"] for r in records]}
    totals = [r["answer"]["timings"].get("total_ms") for r in records if r["answer"]]
    if any(t is not None for t in totals):
        stages["answer total"] = [t for t in totals if t is not None]

    def draw(figure: Any) -> None:
        for axes, (stage, values) in zip(figure.subplots(1, len(stages), squeeze=False)[0], stages.items()):
            axes.hist(values, bins=30)
            axes.set(title=f"{stage} (n={len(values)})", xlabel="ms", ylabel="questions")

    return _figure_png(draw)


def plot_comparison(names: list[str], mine: dict[str, float | None], theirs: dict[str, float | None]) -> bytes:
    """Bars of each named metric in this run and the other run."""
    series = {"this run": [_num(mine.get(n)) for n in names], "other run": [_num(theirs.get(n)) for n in names]}
    return _figure_png(lambda figure: _bars(figure.subplots(), names, series), width=10)


def _num(value: float | None) -> float:
    return math.nan if value is None else float(value)
