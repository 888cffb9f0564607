"""Boilerplate at ingest, with the real MiniLM model and index on disk: an outlet's repeated lines
are in no chunk, listed and counted; a real sentence two articles share stays; re-ingest stays
incremental. Each step has a case showing the check fails when the step is switched off."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from qa.answering.answer import Answerer
from qa.answering.llm import FakeLLM
from qa.cli.main import main
from qa.errors import ConfigError
from qa.index import generations
from qa.index.build import IngestOptions, ingest_corpus
from qa.index.store import Store
from qa.ingest import boilerplate
from qa.retrieval.retrieve import Retriever
from qa.settings import load_settings

APP = "Download the Harbor Gazette app from the App Store or Google Play for breaking news alerts."
BYLINE = "Mira Quell has been covering the harbor district for the Harbor Gazette since 2009."
SHARED = "The Trellmouth council approved the Ostrander bridge budget on Monday by seven votes to two."
STORIES = {
    "ferry": "A new electric ferry began service between Trellmouth and the Gullrock islands. The vessel carries "
             "two hundred passengers and charges its batteries at the quay in eleven minutes. Ferry captain Ivo "
             "Marsh said crossings were quieter than any he had made in thirty years.",
    "bridge": "Engineers inspecting the Ostrander bridge found corrosion in four of its twelve cables. Repairs are "
              "expected to close one lane for most of the winter. The city will publish a detour map next week.",
    "fish": "The autumn herring landings at Trellmouth market were the largest since 1998. Auctioneer Pella Voss "
            "said prices fell by a third as boats queued to unload. Smokehouses along the quay hired extra staff.",
    "lighthouse": "Volunteers repainted the Gullrock lighthouse in red and white bands over the weekend. The tower, "
                  "built in 1874, had not been painted since the keepers left. A museum will open in its base in May.",
}


def _write(corpus: Path, name: str, source: str, body_lines: list[str]) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    header = f"---\ntitle: {name.title()} news from Trellmouth\nsource: {source}\npublished_at: 2023-11-0{len(name) % 9 + 1}\n---\n\n"
    (corpus / f"{name}.md").write_text(header + "\n\n".join(body_lines) + "\n")


def _gazette_article(corpus: Path, name: str, shared: bool = False) -> None:
    story = STORIES[name]
    lines = [story.split(". ", 1)[0] + ".", APP, story.split(". ", 1)[1]]
    if shared:
        lines.append(SHARED)
    _write(corpus, name, "Harbor Gazette", [*lines, BYLINE])


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """One outlet's four articles sharing an app prompt and a byline, two of them a real sentence;
    and another outlet's article that prints the same app prompt once."""
    folder = tmp_path / "corpus"
    for name in STORIES:
        _gazette_article(folder, name, shared=name in ("ferry", "bridge"))
    _write(folder, "weather", "Valley Post", ["Fog closed the Trellmouth airport for six hours on Sunday.", APP])
    return folder


def _store(index_dir: Path) -> Store:
    return Store(generations.require_generation(index_dir) / generations.STORE_FILE, readonly=True)


def _chunks(store: Store) -> dict[str, list]:
    return {a.path: store.chunks_of(a.id) for a in store.articles()}


def _chunk_texts(store: Store, path: str) -> str:
    return "\n".join(c.text for c in _chunks(store)[path])


def test_repeated_lines_are_in_no_chunk_are_listed_and_a_shared_real_sentence_stays(corpus, index_dir, embedder) -> None:
    ingest_corpus(corpus, index_dir, embedder)
    store = _store(index_dir)
    listed = {(b.source, b.sentence, b.articles) for b in store.boilerplate()}
    assert listed == {("Harbor Gazette", APP, 4), ("Harbor Gazette", BYLINE, 4)}
    for article in store.articles():
        for chunk in store.chunks_of(article.id):
            assert article.body[chunk.start : chunk.end] == chunk.text
            if article.source == "Harbor Gazette":
                assert APP not in chunk.text and BYLINE not in chunk.text
        assert APP in article.body or article.source != "Harbor Gazette"  # the body stays whole
    assert SHARED in _chunk_texts(store, "ferry.md") and SHARED in _chunk_texts(store, "bridge.md")
    assert APP in _chunk_texts(store, "weather.md")  # once in its outlet: not boilerplate there
    hits = Retriever(index_dir, embedder).search("Download the Harbor Gazette app for breaking news alerts", k=5)
    assert all(APP not in hit.text or hit.source == "Valley Post" for hit in hits)


def test_no_boilerplate_sentence_is_read_by_the_model_or_quoted(corpus, index_dir, embedder) -> None:
    (corpus / "weather.md").unlink()
    ingest_corpus(corpus, index_dir, embedder)
    llm = FakeLLM()  # answers with the passage sentence closest to the question, cited
    answer = Answerer(Retriever(index_dir, embedder), llm).ask("Who has been covering the harbor district since 2009?")
    prompt = json.dumps(llm.prompts)
    assert "Mira Quell" not in prompt and "Mira Quell" not in answer.answer
    assert all("Mira Quell" not in q.quote for c in answer.claims for q in c.quotes)


def test_stats_and_the_boilerplate_command(corpus, index_dir, embedder, capsys) -> None:
    ingest_corpus(corpus, index_dir, embedder)
    assert main(["--index", str(index_dir), "stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["boilerplate"] == {"Harbor Gazette": 2}
    assert main(["--index", str(index_dir), "boilerplate", "--source", "Harbor Gazette", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"source": "Harbor Gazette", "sentence": APP, "articles": 4},
        {"source": "Harbor Gazette", "sentence": BYLINE, "articles": 4},
    ]
    assert main(["--index", str(index_dir), "boilerplate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Harbor Gazette:\n") and "     4  Mira Quell" in out
    assert main(["--index", str(index_dir), "boilerplate", "--source", "Valley Post", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["--index", str(index_dir), "boilerplate", "--source", "Nowhere Times"]) == 2
    assert "qa stats" in capsys.readouterr().err


def test_reingest_rechunks_only_what_a_boilerplate_change_touches(tmp_path, index_dir, embedder) -> None:
    corpus = tmp_path / "corpus"
    _gazette_article(corpus, "ferry", shared=True)
    _gazette_article(corpus, "bridge", shared=True)
    _write(corpus, "weather", "Valley Post", ["Fog closed the Trellmouth airport for six hours on Sunday.", APP])
    options = IngestOptions(chunk_chars=200)
    ingest_corpus(corpus, index_dir, embedder, options)
    store = _store(index_dir)
    assert store.boilerplate() == [] and APP in _chunk_texts(store, "ferry.md")
    before = {path: {(c.start, c.end): c for c in chunks} for path, chunks in _chunks(store).items()}
    ids_before = set(store.embeddings()[0].tolist())
    store.close()

    _gazette_article(corpus, "fish")  # the third story with the app prompt and byline
    report = ingest_corpus(corpus, index_dir, embedder, options)
    store = _store(index_dir)
    assert (report.added, report.rechunked) == (1, 2)
    assert {b.sentence for b in store.boilerplate()} == {APP, BYLINE}
    for path in ("ferry.md", "bridge.md", "fish.md"):
        assert APP not in _chunk_texts(store, path) and BYLINE not in _chunk_texts(store, path)
    assert SHARED in _chunk_texts(store, "ferry.md")
    after = _chunks(store)
    assert after["weather.md"] == list(before["weather.md"].values())  # another outlet: untouched
    kept = [c for c in after["ferry.md"] if (c.start, c.end) in before["ferry.md"]]
    assert kept and all(APP not in c.text for c in kept)  # chunks away from the lines keep their vectors
    new_ids = set(store.embeddings()[0].tolist()) - ids_before
    assert len(new_ids) == report.chunks < sum(len(chunks) for chunks in after.values())
    live = generations.require_generation(index_dir)
    store.close()

    report = ingest_corpus(corpus, index_dir, embedder, options)
    assert (report.chunks, report.rechunked, report.changed) == (0, 0, False)
    assert generations.require_generation(index_dir) == live

    (corpus / "fish.md").unlink()  # back to two stories: the lines are ordinary sentences again
    report = ingest_corpus(corpus, index_dir, embedder, options)
    store = _store(index_dir)
    assert report.rechunked == 2 and store.boilerplate() == []
    assert APP in _chunk_texts(store, "ferry.md") and BYLINE in _chunk_texts(store, "bridge.md")


def test_changing_the_threshold_rechunks_without_file_changes(corpus, index_dir, capsys) -> None:
    assert main(["--index", str(index_dir), "ingest", str(corpus), "--boilerplate-min-articles", "0"]) == 0
    store = _store(index_dir)
    assert store.boilerplate() == [] and APP in _chunk_texts(store, "fish.md")
    store.close()
    assert main(["--index", str(index_dir), "ingest", str(corpus)]) == 0
    assert "4 articles re-chunked" in capsys.readouterr().out
    store = _store(index_dir)
    assert len(store.boilerplate()) == 2 and APP not in _chunk_texts(store, "fish.md")
    with pytest.raises(ConfigError):
        load_settings({"QA_BOILERPLATE_MIN_ARTICLES": "1"})


def test_an_index_from_before_boilerplate_is_read_and_then_upgraded(corpus, index_dir, embedder, capsys) -> None:
    ingest_corpus(corpus, index_dir, embedder, IngestOptions(boilerplate_min_articles=0))
    live = generations.require_generation(index_dir) / generations.STORE_FILE
    with sqlite3.connect(live) as old:  # as an older version left it
        old.executescript("DROP TABLE sentences; DROP TABLE boilerplate; DELETE FROM meta WHERE key = 'boilerplate_min_articles';")
    assert main(["--index", str(index_dir), "stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["boilerplate"] == {}
    report = ingest_corpus(corpus, index_dir, embedder)
    store = _store(index_dir)
    assert report.rechunked == 4 and len(store.boilerplate()) == 2 and APP not in _chunk_texts(store, "fish.md")


def test_a_republished_article_does_not_make_its_own_sentences_boilerplate(tmp_path, index_dir, embedder) -> None:
    corpus = tmp_path / "corpus"
    _gazette_article(corpus, "ferry")
    text = (corpus / "ferry.md").read_text()
    (corpus / "ferry-update.md").write_text(text.replace("thirty years", "thirty-one years"))
    (corpus / "ferry-late.md").write_text(text.replace("eleven minutes", "twelve minutes"))
    ingest_corpus(corpus, index_dir, embedder)
    assert _store(index_dir).boilerplate() == []


# --- each step switched off makes its check fail ---------------------------------------------------


def test_without_detection_the_lines_stay_in_chunks(corpus, index_dir, embedder, monkeypatch) -> None:
    monkeypatch.setattr(boilerplate, "select_boilerplate", lambda spread, min_articles: {})
    ingest_corpus(corpus, index_dir, embedder)
    store = _store(index_dir)
    assert store.boilerplate() == [] and APP in _chunk_texts(store, "fish.md")


def test_without_the_chunker_skipping_them_the_lines_stay_in_chunks(corpus, index_dir, embedder, monkeypatch) -> None:
    from qa.ingest.chunking import split_into_chunks

    monkeypatch.setattr("qa.index.build.split_into_chunks", lambda article, size, overlap, skip: split_into_chunks(article, size, overlap))
    ingest_corpus(corpus, index_dir, embedder)
    store = _store(index_dir)
    assert len(store.boilerplate()) == 2 and BYLINE in _chunk_texts(store, "fish.md")


def test_without_rechunking_stale_articles_keep_the_lines(tmp_path, index_dir, embedder, monkeypatch) -> None:
    corpus = tmp_path / "corpus"
    _gazette_article(corpus, "ferry")
    _gazette_article(corpus, "bridge")
    ingest_corpus(corpus, index_dir, embedder)
    monkeypatch.setattr(Store, "articles_holding", lambda self, sentences: set())
    _gazette_article(corpus, "fish")
    ingest_corpus(corpus, index_dir, embedder)
    store = _store(index_dir)
    assert APP not in _chunk_texts(store, "fish.md") and APP in _chunk_texts(store, "ferry.md")


def test_without_story_counting_a_republished_article_loses_its_sentences(tmp_path, index_dir, embedder, monkeypatch) -> None:
    monkeypatch.setattr("qa.index.build.dedup.near_duplicate_links", lambda ids, dates, signatures: {})
    corpus = tmp_path / "corpus"
    _gazette_article(corpus, "ferry")
    text = (corpus / "ferry.md").read_text()
    (corpus / "ferry-update.md").write_text(text.replace("thirty years", "thirty-one years"))
    (corpus / "ferry-late.md").write_text(text.replace("eleven minutes", "twelve minutes"))
    ingest_corpus(corpus, index_dir, embedder)
    assert len(_store(index_dir).boilerplate()) > 2


# --- the rule itself -------------------------------------------------------------------------------


def test_sentences_compare_without_case_and_spacing_but_with_digits() -> None:
    assert boilerplate.sentence_key("Share  this\nstory") == boilerplate.sentence_key("share this story")
    assert boilerplate.sentence_key("8:56 p.m.: TOUCHDOWN!") != boilerplate.sentence_key("9:23 p.m.: TOUCHDOWN!")


def test_the_threshold_counts_stories_per_outlet_and_zero_turns_it_off() -> None:
    spread = [("Gazette", 1, 3), ("Gazette", 2, 2), ("", 3, 9), ("Post", 1, 5)]
    assert boilerplate.select_boilerplate(spread, 3) == {("Gazette", 1): 3, ("Post", 1): 5}
    assert boilerplate.select_boilerplate(spread, 0) == {}
    with pytest.raises(ValueError):
        boilerplate.select_boilerplate(spread, 1)
