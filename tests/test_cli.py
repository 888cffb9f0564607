"""The `qa` command end to end: ingest, search, stats, errors; and a real kill mid-ingest."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa.cli.main import build_parser, main
from qa.index import generations
from qa.index.build import ingest_corpus
from tests.test_ingest import assert_consistent

REPO = Path(__file__).resolve().parents[1]


def test_ingest_search_stats_through_the_cli(tiny_corpus, index_dir, capsys) -> None:
    assert main(["--index", str(index_dir), "ingest", str(tiny_corpus)]) == 0
    assert "added 5 / updated 0 / removed 0 / skipped 0" in capsys.readouterr().out
    assert main(["--index", str(index_dir), "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["articles"] == 5 and stats["chunks"] > 5
    assert stats["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert main(["--index", str(index_dir), "search", "Brindlemoor lanterns", "--k", "2", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 2 and hits[0]["url"] == "https://example.org/culture/brindlemoor-lanterns"
    assert {"title", "source", "published_at", "start", "end", "score"} <= set(hits[0])


def test_missing_index_is_one_clear_line(tmp_path, capsys) -> None:
    assert main(["--index", str(tmp_path / "nowhere"), "stats"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: No index at") and "qa ingest corpus/" in err


def test_missing_corpus_folder_is_reported(tmp_path, capsys) -> None:
    assert main(["--index", str(tmp_path / "i"), "ingest", str(tmp_path / "nope")]) == 2
    assert "No corpus folder" in capsys.readouterr().err


@pytest.mark.slow
def test_killing_ingest_midway_leaves_the_previous_index_complete(tiny_corpus, index_dir, embedder) -> None:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    before = generations.require_generation(index_dir)
    for path in sorted((REPO / "corpus" / "multihop_rag").glob("*.md"))[:60]:
        shutil.copyfile(path, tiny_corpus / path.name)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli.main", "--index", str(index_dir), "ingest", str(tiny_corpus)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not any((p / "store.sqlite").exists() for p in index_dir.glob("tmp-*")):
        assert proc.poll() is None, "ingest finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(1.0)  # into the embedding phase
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert generations.require_generation(index_dir) == before
    assert assert_consistent(index_dir).counts()["articles"] == 5
    report = ingest_corpus(tiny_corpus, index_dir, embedder)
    assert report.added == 60 and not list(index_dir.glob("tmp-*"))
    assert_consistent(index_dir)


def test_index_is_taken_after_the_subcommand_and_never_abbreviated(tiny_corpus, index_dir, capsys) -> None:
    assert main(["ingest", str(tiny_corpus), "--index", str(index_dir)]) == 0
    capsys.readouterr()
    assert main(["stats", "--json", "--index", str(index_dir)]) == 0
    assert json.loads(capsys.readouterr().out)["articles"] > 0
    with pytest.raises(SystemExit):
        main(["search", "lanterns", "--js"])  # no prefix matching: --js is not --json


def test_the_ask_help_states_the_real_passage_budget(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["ask", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "env QA_TOP_K, default 4" in out and "summary 6" in out and "explain 5" in out


def test_help_defaults_are_read_from_settings(monkeypatch, capsys) -> None:
    from qa.cli import common
    from qa.settings import Settings

    @dataclasses.dataclass(frozen=True)
    class Changed(Settings):
        k: int = 7
        port: int = 8123

    monkeypatch.setattr(common, "Settings", Changed)  # a changed default shows up in --help unedited
    for argv, expected in ((["ask", "--help"], "env QA_TOP_K, default 7"), (["serve", "--help"], "env QA_PORT, default 8123")):
        with pytest.raises(SystemExit):
            main(argv)
        assert expected in " ".join(capsys.readouterr().out.split())


def _readme_command_lines() -> list[str]:
    """Every `qa …` command line in the README and docs/*.md: in code blocks, and inline ones with arguments."""
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    text = "\n".join(page.read_text() for page in pages)
    lines = []
    for page in pages:
        fenced = False
        for line in page.read_text().splitlines():
            if line.startswith("```"):
                fenced = not fenced
            elif fenced and re.match(r"\s*(\$ )?(\.venv/bin/)?qa [a-z]", line):
                lines.append(line)
    inline = [span for span in re.findall(r"`((?:\.venv/bin/)?qa [a-z]+ [^`]+)`", text) if "…" not in span and "/--" not in span]
    # An inline span naming a flag ("`qa ask --json`") is a mention, not a command line: keep those
    # with an argument, or for commands that need none.
    needs_none = ("stats", "serve", "chat")
    return lines + [s for s in inline if s.split()[1] in needs_none or any(not w.startswith("-") for w in s.split()[2:])]


_PLACEHOLDERS = {"H": "127.0.0.1", "P": "7860", "N": "3", "QUESTIONS": "questions.jsonl", "auto|jsonl|multihop-rag": "auto"}


def _argv(line: str) -> list[str]:
    words = shlex.split(line.strip().removeprefix("$ "), comments=True)
    words = [_PLACEHOLDERS.get(w.strip("[]"), w.strip("[]")) for w in words]
    assert words[0].endswith("qa"), line
    return words[1:]


def test_the_readme_command_lines_parse() -> None:
    lines = _readme_command_lines()
    assert len(lines) >= 10, "the README's command lines were not found"
    parser = build_parser()
    for line in lines:
        try:
            parser.parse_args(_argv(line))
        except SystemExit:
            pytest.fail(f"README command line does not parse: {line}")


def test_a_wrong_readme_command_line_is_caught() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(_argv("qa ask --k 4"))  # the question is missing


def test_ask_shows_what_it_reads_before_the_answer(tiny_corpus, index_dir, capsys) -> None:
    assert main(["ingest", str(tiny_corpus), "--index", str(index_dir)]) == 0
    capsys.readouterr()
    question = "What did the survey find at the Zorblax glacier's edge?"
    assert main(["ask", question, "--llm", "fake", "--index", str(index_dir)]) == 0
    out, err = capsys.readouterr()
    assert err.index("Reading:") < err.index("Polar Times") and "meltwater" in err.lower()
    assert "Reading:" not in out and "[1]" in out
    assert main(["ask", question, "--llm", "fake", "--json", "--index", str(index_dir)]) == 0
    assert json.loads(capsys.readouterr().out)["citations"]  # stdout stays one JSON object
