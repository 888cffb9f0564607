"""Tests for qa.ingest.loaders: every supported format, the files it must refuse, and stable ids."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from qa.errors import LoadError
from qa.ingest.loaders import SUPPORTED_SUFFIXES, LoadResult, article_id, load_file
from qa.types import Article

SEED_ARTICLE = Path("/work/shared/seed/000_d51a99bcb2f95f2f.txt")
MULTIHOP_CORPUS = Path("/work/shared/datasets/multihop_rag/corpus.json")

HTML_PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Harbour bridge reopens after repairs | Daily Planet</title>
<meta property="og:title" content="Harbour bridge reopens after repairs">
<meta property="og:site_name" content="Daily Planet">
<meta property="og:url" content="https://planet.example/news/harbour-bridge">
<link rel="canonical" href="https://planet.example/news/harbour-bridge">
<meta property="article:published_time" content="2023-09-20T08:00:00+00:00">
<script>var trackingSpy = "SCRIPTSPY";</script>
</head><body>
<nav><ul><li><a href="/">Home NAVSPY</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<article>
<h1>Harbour bridge reopens after repairs</h1>
<p>The harbour bridge reopened to traffic on Wednesday after eighteen months of repairs that cost
the city more than forty million euros, officials said at a ceremony attended by the mayor.</p>
<p>Engineers replaced the corroded steel cables and resurfaced the entire deck, and the bridge can now
carry heavier lorries than before, according to the transport department.</p>
<p>Residents who had endured long detours welcomed the reopening, although some complained that the
new toll of two euros per crossing was too high for daily commuters.</p>
</article>
<footer>Copyright 2019 Daily Planet FOOTERSPY</footer>
</body></html>
"""


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return corpus


@pytest.fixture
def seed_article(corpus_dir: Path) -> Path:
    if not SEED_ARTICLE.exists():
        pytest.skip(f"seed article {SEED_ARTICLE} is not available")
    copy = corpus_dir / "wire" / SEED_ARTICLE.name
    copy.parent.mkdir()
    shutil.copyfile(SEED_ARTICLE, copy)
    return copy


@pytest.fixture
def text_pdf(corpus_dir: Path) -> Path:
    return write(
        corpus_dir,
        "report.pdf",
        make_pdf(
            ["Quarterly grain report", "Wheat exports rose by 12 percent."],
            title="Grain Report Q3",
            created="D:20230920101500Z",
        ),
    )


@pytest.fixture
def textless_pdf(corpus_dir: Path) -> Path:
    return write(corpus_dir, "scan.pdf", make_pdf([]))


def write(directory: Path, name: str, content: str | bytes) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    else:
        path.write_bytes(content)
    return path


def load_one(path: Path, root: Path) -> Article:
    result = load_file(path, root)
    assert result.warnings == []
    assert len(result.articles) == 1
    return result.articles[0]


def make_pdf(lines: list[str], title: str = "", created: str = "") -> bytes:
    """A minimal one-page PDF drawing `lines` in Helvetica; with no lines the page has no content stream."""
    page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >>"
    drawn = [f"({line}) Tj T*" for line in lines]
    content = "\n".join(["BT", "/F1 12 Tf", "14 TL", "72 720 Td", *drawn, "ET"])
    info = f"<< /Title ({title}) /CreationDate ({created}) >>" if title else "<< >>"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        page + (" /Contents 5 0 R >>" if lines else " >>"),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        info,
    ]
    pdf = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(pdf))
        pdf += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref_at = len(pdf)
    pdf += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    pdf += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    pdf += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\n".encode()
    pdf += f"startxref\n{xref_at}\n%%EOF\n".encode()
    return pdf


# --- ids ---------------------------------------------------------------------------------------


def test_article_id_is_sha1_prefix_of_path_and_key() -> None:
    assert article_id("a/b.txt") == hashlib.sha1(b"a/b.txt#").hexdigest()[:16]
    assert article_id("a/b.json", "7") == hashlib.sha1(b"a/b.json#7").hexdigest()[:16]
    assert article_id("a/b.json", "7") != article_id("a/b.json", "8")


def test_ids_are_stable_across_loads(corpus_dir: Path) -> None:
    records = [
        {"id": "x1", "body": "One."},
        {"url": "https://e.example/2", "body": "Two."},
        {"body": "Three."},
    ]
    path = write(corpus_dir, "batch.json", json.dumps(records))
    first = [a.id for a in load_file(path, corpus_dir).articles]
    second = [a.id for a in load_file(path, corpus_dir).articles]
    assert first == second
    assert first == [
        article_id("batch.json", "x1"),
        article_id("batch.json", "https://e.example/2"),
        article_id("batch.json", "2"),
    ]


# --- plain text --------------------------------------------------------------------------------


def test_txt_seed_article_reads_title_dateline_and_body(seed_article: Path, corpus_dir: Path) -> None:
    article = load_one(seed_article, corpus_dir)
    assert article.title == "Azerbaijan Pounds Karabakh as Russia and US Call for Calm"
    assert (article.source, article.place, article.published_at) == ("Reuters", "Yerevan", "2023-09-20")
    assert "At least 27 people have been killed in Karabakh and 200 wounded, they said." in article.body
    assert article.body.startswith("Azerbaijan’s Ministry of Defence/Handout via REUTERS\n")
    assert article.path == f"wire/{SEED_ARTICLE.name}"
    assert article.id == article_id(article.path)


def test_txt_body_is_verbatim_after_the_title(corpus_dir: Path) -> None:
    # a BOM, CRLF line ends, indentation, tabs and typographic quotes/dashes: only the CRLFs may change
    text = "\ufeff\r\n  Title line  \r\n\r\n\r\n  Indented  line,\twith “quotes” – dashes.\r\nSecond.\r\n"
    article = load_one(write(corpus_dir, "plain.txt", text), corpus_dir)
    assert article.title == "Title line"
    assert article.body == "  Indented  line,\twith “quotes” – dashes.\nSecond."
    assert (article.place, article.source, article.published_at) == ("", "", "")


@pytest.mark.parametrize(
    ("dateline", "place", "source", "published_at"),
    [
        ("NEW YORK, September 3 (Bloomberg) - Stocks fell.", "New York", "Bloomberg", "2023-09-03"),
        ("ST. LOUIS, Mo., Oct. 9 (AP) — Rain fell.", "St. Louis", "AP", "2023-10-09"),
        ("PARIS, 18 Sept (AFP) - Wrong order, no date read.", "", "", ""),
        ("KYIV, Ukraine (AP) — No date in this one.", "Kyiv", "AP", ""),
        ("LONDON, Sep 31 (Reuters) - An impossible day.", "London", "Reuters", ""),
    ],
)
def test_txt_dateline_variants(
    corpus_dir: Path, dateline: str, place: str, source: str, published_at: str
) -> None:
    text = f"Headline\n\nA photo caption taken on August 30, 2023.\n\n{dateline}\n\nMore text."
    article = load_one(write(corpus_dir, "wire.txt", text), corpus_dir)
    assert (article.place, article.source, article.published_at) == (place, source, published_at)


def test_txt_dateline_must_start_a_paragraph_in_capitals(corpus_dir: Path) -> None:
    text = (
        "Headline\n\nAn analyst in LONDON, Sept 20 (Reuters) - said nothing.\n\n"
        "London, Sept 20 (Reuters) - prose case is not a dateline.\n"
    )
    article = load_one(write(corpus_dir, "prose.txt", text), corpus_dir)
    assert (article.place, article.source, article.published_at) == ("", "", "")


def test_txt_dateline_beyond_the_first_2000_chars_is_ignored(corpus_dir: Path) -> None:
    text = "Headline\n\n" + "Filler sentence. " * 150 + "\n\nLONDON, Sept 20 (Reuters) - Late.\n"
    article = load_one(write(corpus_dir, "late.txt", text), corpus_dir)
    assert article.place == ""


def test_txt_dateline_year_comes_from_the_nearest_full_date(corpus_dir: Path) -> None:
    text = (
        "Headline\n\nMOSCOW, Jan 2 (Reuters) - The treaty of December 26, 1991 was recalled "
        "in a speech given on December 31, 2023.\n"
    )
    assert load_one(write(corpus_dir, "newyear.txt", text), corpus_dir).published_at == "2024-01-02"


def test_txt_dateline_year_falls_back_to_file_mtime(corpus_dir: Path) -> None:
    path = write(corpus_dir, "undated.txt", "Headline\n\nLONDON, Jan 5 (AP) — No year anywhere.\n")
    mtime = datetime(2021, 6, 1, 12, 0).timestamp()
    os.utime(path, (mtime, mtime))
    article = load_one(path, corpus_dir)
    assert (article.place, article.source, article.published_at) == ("London", "AP", "2021-01-05")


# --- markdown ----------------------------------------------------------------------------------


def test_markdown_front_matter_and_verbatim_body(corpus_dir: Path) -> None:
    text = (
        "---\ntitle: Rates on hold\nsource: Example Wire\nurl: https://wire.example/rates\n"
        "date: 2023-09-20\nauthor: [A. Writer, B. Editor]\ncategory: business\nunknown_key: ignored\n---\n"
        "\n\n# Rates on hold\n\nThe bank **held** rates at 4%.\n"
    )
    article = load_one(write(corpus_dir, "news/rates.md", text), corpus_dir)
    assert article.title == "Rates on hold"
    assert (article.source, article.category) == ("Example Wire", "business")
    assert article.url == "https://wire.example/rates"
    assert article.published_at == "2023-09-20"
    assert article.author == "A. Writer, B. Editor"
    assert article.body == "\n# Rates on hold\n\nThe bank **held** rates at 4%.\n"
    assert article.path == "news/rates.md"


def test_markdown_datetimes_become_iso_and_strings_are_kept(corpus_dir: Path) -> None:
    as_datetime = write(corpus_dir, "a.md", "---\npublished_at: 2023-09-20T08:30:00Z\n---\nText.\n")
    as_string = write(corpus_dir, "b.markdown", "---\npublished_at: 'Sept 20, 2023'\n---\nText.\n")
    assert load_one(as_datetime, corpus_dir).published_at == "2023-09-20T08:30:00+00:00"
    assert load_one(as_string, corpus_dir).published_at == "Sept 20, 2023"


def test_markdown_title_falls_back_to_heading_then_stem(corpus_dir: Path) -> None:
    with_heading = write(corpus_dir, "h.md", "Intro line.\n\n# The Heading #\n\nText.\n")
    without = write(corpus_dir, "flood-warning.md", "Just text, ## not a title.\n")
    assert load_one(with_heading, corpus_dir).title == "The Heading"
    assert load_one(without, corpus_dir).title == "flood-warning"
    assert load_one(without, corpus_dir).body == "Just text, ## not a title.\n"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("---\ntitle: [unclosed\n---\nText.\n", "malformed YAML front matter"),
        ("---\n- a\n- b\n---\nText.\n", "front matter must be `key: value` lines"),
        ("---\ntitle: x\nText without a closing line.\n", "no closing --- line"),
        ("---\ntitle: x\n---\n\n  \n", "no text after the front matter"),
    ],
)
def test_markdown_bad_front_matter_is_refused(corpus_dir: Path, text: str, reason: str) -> None:
    with pytest.raises(LoadError, match=reason):
        load_file(write(corpus_dir, "bad.md", text), corpus_dir)


# --- HTML --------------------------------------------------------------------------------------


def test_html_main_text_and_metadata(corpus_dir: Path) -> None:
    article = load_one(write(corpus_dir, "bridge.html", HTML_PAGE), corpus_dir)
    assert article.title == "Harbour bridge reopens after repairs"
    assert "Engineers replaced the corroded steel cables" in article.body
    for boilerplate in ("NAVSPY", "SCRIPTSPY", "FOOTERSPY"):
        assert boilerplate not in article.body
    assert article.source == "Daily Planet"
    assert article.url == "https://planet.example/news/harbour-bridge"
    assert article.published_at == "2023-09-20"


@pytest.mark.parametrize(
    "page",
    [
        "<html><head><title>Nothing</title><script>var x = 1;</script></head>"
        "<body><nav>Home</nav></body></html>",
        "<html><body><div><a href='/a'>Flood warning issued</a> <a href='/b'>Markets rally</a></div>"
        "</body></html>",
        "<html><body><script>document.write('only script');</script></body></html>",
    ],
    ids=["menu", "headline-list", "script-only"],
)
def test_html_without_article_text_is_refused(corpus_dir: Path, page: str) -> None:
    with pytest.raises(LoadError, match="no article text found"):
        load_file(write(corpus_dir, "empty.htm", page), corpus_dir)


def test_html_short_article_beside_a_menu_keeps_only_the_article(corpus_dir: Path) -> None:
    page = (
        "<html><head><title>Budget</title></head><body><nav><a href='/'>Home</a></nav>"
        "<article><p>The council approved the budget on Monday.</p></article></body></html>"
    )
    article = load_one(write(corpus_dir, "budget.html", page), corpus_dir)
    assert article.body == "The council approved the budget on Monday."
    assert (article.title, article.url, article.source) == ("Budget", "", "")


# --- JSON / JSONL ------------------------------------------------------------------------------


@pytest.mark.parametrize("wrap", [lambda r: r, lambda r: {"articles": r}, lambda r: {"data": r}])
def test_json_collections(corpus_dir: Path, wrap: Any) -> None:
    records = [
        {"id": 17, "title": "First", "text": "Body one.\r\nLine two.", "author": None, "date": "2023-01-02"},
        {"title": "Second", "body": "", "content": "Body two.", "published": "2023-01-03", "source": "Wire"},
    ]
    result = load_file(write(corpus_dir, "c.json", json.dumps(wrap(records))), corpus_dir)
    first, second = result.articles
    assert (first.id, first.title, first.author) == (article_id("c.json", "17"), "First", "")
    assert first.body == "Body one.\nLine two."
    assert (first.published_at, second.published_at, second.source) == ("2023-01-02", "2023-01-03", "Wire")
    assert second.body == "Body two."
    assert result.warnings == []


def test_json_single_record(corpus_dir: Path) -> None:
    record = {"title": "Solo", "body": "Only one.", "url": "https://e.example/solo"}
    article = load_one(write(corpus_dir, "solo.json", json.dumps(record)), corpus_dir)
    assert (article.title, article.body) == ("Solo", "Only one.")
    assert article.id == article_id("solo.json", "https://e.example/solo")


def test_json_bad_records_become_warnings(corpus_dir: Path) -> None:
    records = [
        {"id": "a", "body": "Good."},
        "not a record",
        {"id": "b", "title": "No body"},
        {"id": "c", "body": "   "},
        {"id": "a", "body": "Same id again."},
        {"id": "d", "body": "Also good."},
    ]
    result = load_file(write(corpus_dir, "mixed.json", json.dumps(records)), corpus_dir)
    assert [a.body for a in result.articles] == ["Good.", "Also good."]
    assert result.warnings == [
        "record 2 is not a JSON object",
        "record 3 has no body/text/content",
        "record 4 has no body/text/content",
        "record 5 has the same id/url as record 1 ('a'); skipped",
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('[\n  {"body": "ok"},\n  {"body": oops}\n]', "malformed JSON at line 3: Expecting value"),
        ('[{"title": "no body"}]', r"no usable records \(1 skipped, first: record 1 has no body/text/con"),
        ("[]", r"no usable records \(the collection is empty\)"),
        ('"just a string"', "JSON holds a str"),
    ],
)
def test_json_unusable_files_are_refused(corpus_dir: Path, text: str, reason: str) -> None:
    with pytest.raises(LoadError, match=reason):
        load_file(write(corpus_dir, "bad.json", text), corpus_dir)


def test_jsonl_partial_failure_keeps_good_lines(corpus_dir: Path) -> None:
    lines = [
        json.dumps({"id": "1", "title": "One", "body": "First body."}),
        '{"id": "2", "body": broken',
        "",
        json.dumps({"id": "4", "title": "No body"}),
        json.dumps({"title": "Five", "body": "Fifth body with a \u2028 line separator."}),
    ]
    result = load_file(write(corpus_dir, "feed.jsonl", "\n".join(lines) + "\n"), corpus_dir)
    assert [a.title for a in result.articles] == ["One", "Five"]
    assert result.articles[1].id == article_id("feed.jsonl", "4")  # key is the 0-based line index
    assert result.warnings[0].startswith("line 2: malformed JSON (")
    assert result.warnings[1:] == ["line 4 has no body/text/content"]


def test_jsonl_with_no_good_line_is_refused(corpus_dir: Path) -> None:
    with pytest.raises(LoadError, match=r"no usable records \(2 skipped, first: line 1: malformed JSON"):
        load_file(write(corpus_dir, "bad.jsonl", "{nope\n[1, 2]\n"), corpus_dir)


def test_multihop_rag_corpus_loads(corpus_dir: Path) -> None:
    if not MULTIHOP_CORPUS.exists():
        pytest.skip(f"{MULTIHOP_CORPUS} is not available")
    result = load_file(MULTIHOP_CORPUS, MULTIHOP_CORPUS.parent)
    assert len(result.articles) == 609
    assert len({a.id for a in result.articles}) == 609
    assert result.warnings == []
    first = result.articles[0]
    assert first.title == "200+ of the best deals from Amazon's Cyber Monday sale"
    assert (first.source, first.author, first.category) == ("Mashable", "", "entertainment")
    assert first.path == "corpus.json"


# --- PDF ---------------------------------------------------------------------------------------


def test_pdf_text_title_and_creation_date(text_pdf: Path, corpus_dir: Path) -> None:
    article = load_one(text_pdf, corpus_dir)
    assert article.title == "Grain Report Q3"
    assert "Wheat exports rose by 12 percent." in article.body
    assert article.published_at == "2023-09-20T10:15:00+00:00"
    assert article.id == article_id("report.pdf")


def test_pdf_title_falls_back_to_first_line(corpus_dir: Path) -> None:
    path = write(corpus_dir, "untitled.pdf", make_pdf(["Port strike ends", "Dockers return to work."]))
    article = load_one(path, corpus_dir)
    assert (article.title, article.published_at) == ("Port strike ends", "")


def test_pdf_without_text_layer_is_refused(textless_pdf: Path, corpus_dir: Path) -> None:
    with pytest.raises(LoadError, match="no text layer in PDF"):
        load_file(textless_pdf, corpus_dir)


def test_pdf_garbage_is_refused(corpus_dir: Path) -> None:
    path = write(corpus_dir, "junk.pdf", b"this is not a PDF \x00\x01\x02" * 20)
    with pytest.raises(LoadError, match="unreadable PDF"):
        load_file(path, corpus_dir)


# --- files refused before parsing --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("memo.docx", b"PK\x03\x04", "unsupported file type .docx"),
        ("README", b"text", r"unsupported file type \(no extension\)"),
        ("blob.txt", b"Title\n\x00\x01binary", "binary file"),
        ("latin1.txt", "Caf\u00e9\nbody".encode("latin-1"), r"not valid UTF-8 \(byte 0xe9 at offset 3\)"),
        ("empty.md", b"", "empty file"),
        ("blank.txt", b" \n\t\r\n", "empty file"),
        ("bom-only.json", b"\xef\xbb\xbf  \n", "empty file"),
        ("empty.pdf", b"", "empty file"),
        ("title-only.txt", b"Just a title\n\n", "no text after the title line"),
    ],
)
def test_unreadable_files_are_refused(corpus_dir: Path, name: str, content: bytes, reason: str) -> None:
    with pytest.raises(LoadError, match=reason):
        load_file(write(corpus_dir, name, content), corpus_dir)


def test_a_directory_is_refused(corpus_dir: Path) -> None:
    (corpus_dir / "folder.txt").mkdir()
    with pytest.raises(LoadError, match="cannot read file"):
        load_file(corpus_dir / "folder.txt", corpus_dir)


def test_supported_suffixes_all_load(corpus_dir: Path, text_pdf: Path) -> None:
    samples: dict[str, str | bytes] = {
        ".txt": "T\nbody",
        ".md": "body",
        ".markdown": "body",
        ".html": HTML_PAGE,
        ".htm": HTML_PAGE,
        ".json": '{"body": "b"}',
        ".jsonl": '{"body": "b"}',
        ".pdf": text_pdf.read_bytes(),
    }
    assert set(samples) == SUPPORTED_SUFFIXES
    for suffix, content in samples.items():
        result = load_file(write(corpus_dir, f"sample{suffix.upper()}", content), corpus_dir)
        assert isinstance(result, LoadResult) and len(result.articles) == 1, suffix
