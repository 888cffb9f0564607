"""The `qa eval` subcommand: a fixed question set in, metrics, per-question results and a report out."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qa.errors import QAError

# Settings read only by `qa ingest`; the index's own metadata records what it was built with.
_INGEST_ONLY = ("corpus_dir", "embed_batch_size", "chunk_chars", "overlap_sentences", "index_type", "milvus_token")


def add_eval_command(sub: Any) -> None:
    """Register `qa eval` on the top-level parser's subparsers."""
    from qa.cli.common import env_help
    from qa.evaluation.questions import FORMATS

    p = sub.add_parser(
        "eval", help="score retrieval and answers on a fixed question set",
        description="Run a question set through retrieval (and answering) and write metrics.json, "
        "results.jsonl and report.md/.html to --out. Re-running with the same --out resumes.",
    )
    p.add_argument("questions", nargs="+", help="question set(s): JSON lines, or a MultiHop-RAG query file; "
                   "with several (dev and test), each is run into --out/<name>/ and shown side by side")
    p.add_argument("--format", choices=FORMATS, default="auto", help="question set format (default: auto)")
    p.add_argument("--index", default=argparse.SUPPRESS, metavar="DIR", help=env_help("index folder", "index_dir"))
    p.add_argument("--retrieval-only", action="store_true", help="score retrieval only; no answers")
    p.add_argument("--limit", type=_positive, metavar="N", help="evaluate the first N questions")
    p.add_argument("--sample", type=_positive, metavar="N", help="evaluate a random sample of N questions")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed for --sample (default 0)")
    p.add_argument("--out", type=Path, metavar="DIR", help="run folder (default runs/<YYYYmmdd-HHMMSS>/)")
    p.add_argument("--fail-under", action="extend", nargs="+", default=[], metavar="METRIC=VALUE",
                   help="exit 1 when a metric is below VALUE, e.g. hits@10=0.9 accuracy=0.6")
    p.add_argument("--compare", type=Path, metavar="RUN_DIR",
                   help="show this run beside an earlier one, and list the questions whose outcome changed")
    p.add_argument("--k", type=int, default=10, metavar="K", help="passages retrieved per question (default 10, at least 10)")
    p.set_defaults(func=cmd_eval)

    r = sub.add_parser(
        "rescore", help="score a finished `qa eval` run again under the current rules, without answering",
        description="Read RUN_DIR/results.jsonl, score every record again under the current rules and write "
        "metrics.json and report.md/.html to --out (default: RUN_DIR itself; its results.jsonl is left as written).",
    )
    r.add_argument("run", type=Path, metavar="RUN_DIR", help="a folder written by `qa eval`")
    r.add_argument("--out", type=Path, metavar="DIR", help="write the rescored run here instead")
    r.add_argument("--fail-under", action="extend", nargs="+", default=[], metavar="METRIC=VALUE",
                   help="exit 1 when a metric is below VALUE, e.g. claim_support=0.9")
    r.add_argument("--compare", type=Path, metavar="RUN_DIR", help="show this run beside an earlier one")
    r.set_defaults(func=cmd_rescore)


def cmd_eval(args: argparse.Namespace) -> int:
    """Run `qa eval`; 1 when a --fail-under threshold is missed, else 0."""
    from qa.cli.common import make_embedder, settings_from_args
    from qa.compose import build_retriever
    from qa.evaluation.report import read_metrics, side_by_side

    thresholds = parse_thresholds(args.fail_under)
    other = read_metrics(args.compare) if args.compare else None
    settings = settings_from_args(args)
    embedder = make_embedder(settings)
    retriever = build_retriever(settings, embedder)
    answerer = None if args.retrieval_only else _make_answerer(settings, retriever)
    run_settings = {key: value for key, value in asdict(settings).items() if key not in _INGEST_ONLY}
    run_settings["index_dir"] = str(settings.index_dir.resolve())
    run_settings["index_meta"] = retriever.store.meta()  # fails fast, before any work, without an index
    out = args.out or Path("runs") / time.strftime("%Y%m%d-%H%M%S")
    embedder.embed(["warm up"])  # load the model now, so that it is not timed as the first retrieval
    paths = [Path(p) for p in args.questions]
    several = len(paths) > 1
    results, failed = {}, False
    for path in paths:
        folder = out / path.stem if several else out
        metrics = _run_one(args, path, folder, retriever, answerer, run_settings, other, thresholds)
        results[path.stem] = metrics
        for failure in check_thresholds(metrics, thresholds):
            print(f"FAIL: {path.stem}: {failure}" if several else f"FAIL: {failure}", file=sys.stderr)
            failed = True
    if several:
        print("\n" + side_by_side(results))
    return 1 if failed else 0


def cmd_rescore(args: argparse.Namespace) -> int:
    """Run `qa rescore`; 1 when a --fail-under threshold is missed, else 0."""
    from qa.evaluation.evaluate import rescore_run
    from qa.evaluation.report import read_metrics, summary_text

    thresholds = parse_thresholds(args.fail_under)
    metrics = rescore_run(args.run, args.out, args.compare, thresholds)
    print(summary_text(metrics, read_metrics(args.compare) if args.compare else None, thresholds))
    print(f"\nReport: {(args.out or args.run) / 'report.html'}")
    failures = check_thresholds(metrics, thresholds)
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


def _run_one(
    args: argparse.Namespace, path: Path, out: Path, retriever: Any, answerer: Any, run_settings: dict[str, Any],
    other: dict[str, Any] | None, thresholds: dict[str, float],
) -> dict[str, Any]:
    from qa.evaluation.evaluate import run_eval
    from qa.evaluation.questions import load_questions, select_questions
    from qa.evaluation.report import summary_text

    question_set = load_questions(path, args.format)
    questions = select_questions(question_set, args.limit, args.sample, args.seed)
    print(f"Evaluating {len(questions)} of {len(question_set)} questions of {path} into {out}/ …", file=sys.stderr)
    started = time.perf_counter()
    # Which questions were drawn, and from which file, is part of the run: a folder is resumed only by the same draw.
    selection = {"file": path.name, "limit": args.limit, "sample": args.sample, "seed": args.seed if args.sample else None}
    metrics = run_eval(
        questions, retriever, answerer, out, k=args.k, settings=run_settings,
        question_set=question_set, selection=selection, compare_to=args.compare, targets=thresholds,
    )
    print(summary_text(metrics, other, thresholds))
    reused = metrics["config"]["reused_results"]
    print(f"\n{metrics['counts']['evaluated'] - reused} questions evaluated in {time.perf_counter() - started:.1f} s"
          + (f"; {reused} results reused from the earlier run in {out}/" if reused else ""))
    print(f"Report: {out / 'report.html'}  (also report.md, metrics.json, results.jsonl)")
    return metrics


def parse_thresholds(specs: list[str]) -> dict[str, float]:
    """`["hits@10=0.9", "answers.accuracy=0.6"]` -> `{"retrieval.hits@10": 0.9, "answers.accuracy": 0.6}`."""
    from qa.evaluation.evaluate import METRIC_NAMES

    dotted = [f"{section}.{name}" for section, names in METRIC_NAMES.items() for name in names]
    thresholds: dict[str, float] = {}
    unknown: list[str] = []
    for spec in specs:
        name, sep, value = spec.partition("=")
        try:
            threshold = float(value) if sep else None
        except ValueError:
            threshold = None
        if threshold is None:
            raise QAError(f"--fail-under takes METRIC=VALUE with a number, e.g. hits@10=0.9; got {spec!r}.")
        resolved = resolve_metric(name.strip(), dotted, METRIC_NAMES)
        if resolved is None:
            unknown.append(name.strip())
        else:
            thresholds[resolved] = threshold
    if unknown:
        short = [d.split(".", 1)[1] for d in dotted]
        raise QAError(
            f"Unknown metric for --fail-under: {', '.join(unknown)}. Valid names: {', '.join(short)}; "
            f"or dotted ({', '.join(dotted[:2])}, …); or per question type, e.g. retrieval.by_type.TYPE.hits@10."
        )
    return thresholds


def resolve_metric(name: str, dotted: list[str], metric_names: dict[str, tuple[str, ...]]) -> str | None:
    """The dotted metric `name` refers to: itself, a unique short name, or a by-type path; else None."""
    if name in dotted:
        return name
    section, _, rest = name.partition(".by_type.")
    if rest and "." in rest and rest.rsplit(".", 1)[1] in metric_names.get(section, ()):
        return name
    matches = [d for d in dotted if d.split(".", 1)[1] == name]
    return matches[0] if len(matches) == 1 else None


def check_thresholds(metrics: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    """One message per metric below its threshold, or not measured in this run."""
    from qa.evaluation.report import flatten_metrics

    values = flatten_metrics(metrics)
    failures = []
    for name, threshold in thresholds.items():
        value = values.get(name)
        if value is None:
            failures.append(f"{name} was not measured in this run (threshold {threshold:g})")
        elif value < threshold:
            failures.append(f"{name} = {value:.3f} is below {threshold:g}")
    return failures


def _make_answerer(settings: Any, retriever: Any) -> Any:
    from qa.compose import build_answerer

    return build_answerer(settings, retriever).ask


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
