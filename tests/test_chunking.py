import pytest

from qa.ingest.chunking import split_into_chunks
from qa.types import Article


def _article(body: str) -> Article:
    return Article(id="a1", title="T", body=body)


def test_chunks_are_exact_spans_within_the_size_limit() -> None:
    body = " ".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(200))
    chunks = split_into_chunks(_article(body), max_chars=300)
    assert len(chunks) > 5
    for position, chunk in enumerate(chunks):
        assert chunk.position == position
        assert body[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= 300


def test_consecutive_chunks_share_one_sentence() -> None:
    body = " ".join(f"This is sentence {i} of the story." for i in range(40))
    chunks = split_into_chunks(_article(body), max_chars=200, overlap_sentences=1)
    for before, after in zip(chunks, chunks[1:]):
        assert after.start < before.end  # overlap
        last_sentence = before.text.rsplit(". ", 1)[-1]
        assert after.text.startswith(last_sentence)


def test_every_sentence_is_whole_in_some_chunk() -> None:
    sentences = [f"Fact {i}: the value was {i * 17} units." for i in range(60)]
    body = " ".join(sentences)
    chunks = split_into_chunks(_article(body), max_chars=250)
    for sentence in sentences:
        assert any(sentence in chunk.text for chunk in chunks)


def test_overlong_sentence_is_cut_at_whitespace() -> None:
    body = "word " * 500 + "end."
    chunks = split_into_chunks(_article(body.strip()), max_chars=120)
    assert all(len(c.text) <= 120 for c in chunks)
    assert all(not c.text.startswith(" ") and not c.text.endswith(" ") for c in chunks)
    assert "".join(c.text.replace(" ", "") for c in chunks).count("word") >= 500


def test_empty_body_gives_no_chunks_and_tiny_limit_is_refused() -> None:
    assert split_into_chunks(_article("   \n ")) == []
    with pytest.raises(ValueError):
        split_into_chunks(_article("x"), max_chars=10)


def test_skipped_sentences_are_in_no_chunk_and_chunks_stay_exact_spans() -> None:
    from qa.ingest.sentences import sentence_spans

    body = " ".join(
        f"Advertisement {i % 2}." if i % 5 == 4 else f"Fact {i}: the value was {i * 17} units." for i in range(40)
    )
    skip = {(s, e) for s, e in sentence_spans(body) if body[s:e].startswith("Advertisement")}
    chunks = split_into_chunks(_article(body), max_chars=200, skip=skip)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(body[c.start : c.end] == c.text and "Advertisement" not in c.text for c in chunks)
    for i in range(40):
        if i % 5 != 4:
            assert any(f"Fact {i}:" in c.text for c in chunks)
    assert "Advertisement" in " ".join(c.text for c in split_into_chunks(_article(body), max_chars=200))
