"""How good are the answers? Run a question set through retrieval (and answering), score, report.

Scores follow the MultiHop-RAG benchmark through `qa.evaluation.metrics`; how one question is scored
(and the choices made on top of the benchmark) is `qa.evaluation.scoring`.

Each question's record is appended to `results.jsonl` as soon as it is scored, so an interrupted
run resumes where it stopped; a run folder is resumed only by the same run (question file, the
selection drawn from it, settings). Metrics are always recomputed from the whole file, each record
scored again under the current rules (`qa.evaluation.scoring.rescore`), and `rescore_run` does the
same for a finished run without answering anything again.
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
from qa.errors import QAError
from qa.evaluation.questions import Question, fingerprint_questions
from qa.evaluation.report import read_metrics, write_reports
from qa.evaluation.scoring import rescore, score_question
from qa.evaluation.summary import ANSWER_METRICS, RETRIEVAL_METRICS, summarize
from qa.types import Answer, Hit

Answerer = Callable[..., Answer]  # (question, history=..., now=...) -> Answer
RESULTS_FILE = "results.jsonl"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
METRIC_NAMES = {
    "retrieval": RETRIEVAL_METRICS,
    "answers": ANSWER_METRICS,
    "abstention": ("unanswerable_abstained", "answerable_abstained"),
    "citations": ("precision", "recall"),
    "coverage": ("key_fact_recall", "claim_support", "verbatim_share"),
    "understanding": ("shape_accuracy", "follow_up_read_recall@4", "first_question_read_recall@4"),
}
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
    selection: dict[str, Any] | None = None,
    compare_to: Path | None = None,
    targets: dict[str, float] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate `questions` into `out_dir` (resuming a run there) and return the metrics.

    `answerer` None means retrieval only. `settings` (model names, index folder...), the full
    `question_set` the questions were drawn from (default: `questions`) and the `selection` that drew
    them (question file, --sample, --seed, --limit) identify the run: resuming into a folder that
    holds a run with other questions, another selection or other settings is an error. `targets`
    (dotted metric -> --fail-under value) are shown beside the metrics in the report.
    """
    from tqdm import tqdm

    if k < MIN_K:
        raise QAError(f"--k must be at least {MIN_K}: the benchmark's metrics look at the top {MIN_K} chunks.")
    other = read_run(compare_to) if compare_to is not None else None
    # Round-tripped through JSON so that paths become strings, as run.json and metrics.json hold them.
    run_settings = json.loads(json.dumps({**(settings or {}), "k": k, "retrieval_only": answerer is None}, default=str))
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / RESULTS_FILE
    _claim_run_folder(out_dir, fingerprint_questions(question_set or questions), run_settings,
                      json.loads(json.dumps(selection or {}, default=str)), {q.id for q in questions})
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
    records = [rescore(r) for r in read_results(results_path)]
    metrics = summarize(records)
    metrics["counts"]["questions"] = len(questions)
    metrics["config"] = _config(run_settings, retriever, records, reused=len(done))
    (out_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_reports(out_dir, metrics, records, other, targets)
    return metrics


def rescore_run(run_dir: Path, out_dir: Path | None = None, compare_to: Path | None = None,
                targets: dict[str, float] | None = None) -> dict[str, Any]:
    """Score a finished run again under the current rules, without retrieving or answering: its
    metrics.json and reports are written to `out_dir` (default: the run folder itself; its
    results.jsonl is left as written). Into another folder, the rescored results.jsonl and run.json
    go too, so that it is a run folder of its own (for --compare)."""
    records = [rescore(r) for r in read_results(run_dir / RESULTS_FILE)]
    if not records:
        raise QAError(f"No results in {run_dir}/ — give a folder written by `qa eval`.")
    other = read_run(compare_to) if compare_to is not None else None
    earlier = read_metrics(run_dir) if (run_dir / METRICS_FILE).exists() else {}
    metrics = summarize(records)
    metrics["counts"]["questions"] = earlier.get("counts", {}).get("questions", len(records))
    metrics["config"] = {**earlier.get("config", {}), "rescored": {
        "git": code_revision(), "version": __version__, "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }}
    out_dir = out_dir or run_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    if out_dir.resolve() != run_dir.resolve():
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        (out_dir / RESULTS_FILE).write_text(lines, encoding="utf-8")
        if (run_dir / RUN_FILE).exists():
            (out_dir / RUN_FILE).write_bytes((run_dir / RUN_FILE).read_bytes())
    (out_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_reports(out_dir, metrics, records, other, targets)
    return metrics


def read_run(run_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The metrics of an earlier run folder and its records, scored under the current rules
    (no records when it has no results.jsonl)."""
    return read_metrics(run_dir), [rescore(r) for r in read_results(run_dir / RESULTS_FILE)]


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


def _claim_run_folder(out_dir: Path, question_set: str, settings: dict[str, Any], selection: dict[str, Any],
                      selected_ids: set[str]) -> None:
    """Record what this run is in run.json, or check that the run already there is the same one."""
    identity = {"questions": question_set, "selection": selection, "settings": settings}
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
        elif stored.get("settings") != settings:
            old = stored.get("settings", {})
            changed = sorted(key for key in {*old, *settings} if old.get(key) != settings.get(key))
            what = f"different settings ({', '.join(changed)})"
        elif "selection" not in stored and {r["id"] for r in read_results(out_dir / RESULTS_FILE)} <= selected_ids:
            # run.json from before the selection was recorded: what it holds is part of this selection.
            run_file.write_text(json.dumps({"fingerprint": fingerprint, **identity}, indent=2) + "\n", encoding="utf-8")
            return
        else:
            what = f"a different selection of questions (was {json.dumps(stored.get('selection', 'not recorded'))})"
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
