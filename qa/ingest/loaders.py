"""How an article is read: one corpus file in, its articles (and any skipped records) out.

Bodies are kept verbatim apart from `\\r\\n` → `\\n`, because evaluation checks that gold sentences
occur word for word in them. HTML and PDF go through `qa.ingest.extraction` (trafilatura, pypdf).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from qa.errors import LoadError
from qa.types import Article

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".pdf"}
)

_BODY_KEYS = ("body", "text", "content")
_COLLECTION_KEYS = ("articles", "records", "data")

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?"
)
_AGENCY = (
    r"Reuters|AP|Associated Press|AFP|Bloomberg|UPI|dpa|DPA|Xinhua|TASS|Interfax|ANSA|EFE"
    r"|Kyodo|Yonhap|PTI|IANS|ANI|CNN"
)
# "YEREVAN, Sept 20 (Reuters) -" or "KYIV, Ukraine (AP) —" at the start of a line. The optional
# region may not hold digits, so that it cannot swallow the date.
_DATELINE = re.compile(
    rf"^(?P<city>[^\W\d_][^\n,()]{{0,40}}?)(?:,[ \t]*[^\n,()\d]{{2,30}}?)?"
    rf"(?:,[ \t]*(?P<month>{_MONTH})[ \t]+(?P<day>\d{{1,2}}))?"
    rf"[ \t]*\((?P<agency>{_AGENCY})\)[ \t]*(?:--|[-\u2013\u2014])",  # -, en dash, em dash
    re.MULTILINE,
)
_DATELINE_WINDOW = 2000
_WRITTEN_DATES = (  # "September 19, 2023" and "19 September 2023"
    re.compile(rf"\b(?P<month>{_MONTH})[ \t]+(?P<day>\d{{1,2}}),?[ \t]+(?P<year>\d{{4}})\b"),
    re.compile(rf"\b(?P<day>\d{{1,2}})[ \t]+(?P<month>{_MONTH})[ \t]+(?P<year>\d{{4}})\b"),
)
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL | re.MULTILINE)
_MARKDOWN_TITLE = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


@dataclass(frozen=True)
class LoadResult:
    """The articles read from one file, and one line per record that was skipped."""

    articles: list[Article]
    warnings: list[str] = field(default_factory=list)


def article_id(rel_path: str, key: str = "") -> str:
    """Stable article id: the first 16 hex digits of sha1(f"{rel_path}#{key}")."""
    return hashlib.sha1(f"{rel_path}#{key}".encode()).hexdigest()[:16]


def load_file(path: Path, root: Path) -> LoadResult:
    """Read one corpus file into its articles; raise `LoadError` saying why when it can't be read.

    Bad records inside a JSON/JSONL collection are skipped and listed in `warnings`; the file only
    fails when none of its records can be used. A record's id key is its "id", else its "url", else
    its 0-based position (the line index in JSONL); single-article files use the key "".
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = " ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoadError(f"unsupported file type {suffix or '(no extension)'} (supported: {supported})")
    rel_path = path.relative_to(root).as_posix()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LoadError(f"cannot read file: {error.strerror or error}") from error
    if not data.strip():
        raise LoadError("empty file")

    if suffix == ".pdf":
        from qa.ingest.extraction import read_pdf

        return LoadResult([read_pdf(data, article_id(rel_path), rel_path)])
    text = _decode(data)
    if suffix == ".txt":
        return LoadResult([_read_txt(text, path, rel_path)])
    if suffix in (".md", ".markdown"):
        return LoadResult([_read_markdown(text, path, rel_path)])
    if suffix == ".json":
        return _read_json(text, rel_path)
    if suffix == ".jsonl":
        warnings: list[str] = []
        return _collect_records(_jsonl_records(text, warnings), rel_path, warnings)
    from qa.ingest.extraction import read_html

    return LoadResult([read_html(text, article_id(rel_path), rel_path, fallback_title=path.stem)])


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise LoadError("binary file (contains NUL bytes; text files must be UTF-8)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LoadError(
            f"not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start}); re-save it as UTF-8"
        ) from error
    if not text.strip():
        raise LoadError("empty file")
    return text.replace("\r\n", "\n")


# --- plain text --------------------------------------------------------------------------------


def _read_txt(text: str, path: Path, rel_path: str) -> Article:
    title, _, rest = text.lstrip().partition("\n")
    body = _LEADING_BLANK_LINES.sub("", rest).rstrip()
    if not body:
        raise LoadError("no text after the title line")
    place, source, published_at = _read_dateline(body, lambda: _mtime_year(path))
    return Article(
        id=article_id(rel_path),
        title=title.strip(),
        body=body,
        source=source,
        published_at=published_at,
        place=place,
        path=rel_path,
    )


def _read_dateline(body: str, fallback_year: Callable[[], int]) -> tuple[str, str, str]:
    """(place, agency, ISO date) from a wire dateline near the top of `body`, or empty strings."""
    for match in _DATELINE.finditer(body[:_DATELINE_WINDOW]):
        city = match["city"].strip()
        if city != city.upper():  # wire datelines write the city in capitals; prose does not
            continue
        published_at = ""
        if match["month"]:
            month, day = _month_number(match["month"]), int(match["day"])
            published_at = _date_near_written_dates(month, day, body)
            if not published_at:
                with suppress(ValueError):  # e.g. "Feb 30"
                    published_at = date(fallback_year(), month, day).isoformat()
        return city.title(), match["agency"], published_at
    return "", "", ""


def _date_near_written_dates(month: int, day: int, body: str) -> str:
    """The year-less dateline date placed in the year that brings it closest to a full date in the text.

    "Sept 20" next to "September 19, 2023" becomes 2023-09-20; "Jan 2" next to "December 31, 2023"
    becomes 2024-01-02.
    """
    options: list[tuple[int, date]] = []
    for pattern in _WRITTEN_DATES:
        for match in pattern.finditer(body):
            with suppress(ValueError):
                written = date(int(match["year"]), _month_number(match["month"]), int(match["day"]))
                for year in (written.year - 1, written.year, written.year + 1):
                    with suppress(ValueError):
                        candidate = date(year, month, day)
                        options.append((abs((candidate - written).days), candidate))
    return min(options)[1].isoformat() if options else ""


def _month_number(name: str) -> int:
    return _MONTHS.index(name[:3].lower()) + 1


def _mtime_year(path: Path) -> int:
    return datetime.fromtimestamp(path.stat().st_mtime).year


# --- markdown ----------------------------------------------------------------------------------


def _read_markdown(text: str, path: Path, rel_path: str) -> Article:
    meta: dict[str, Any] = {}
    body = text
    if text.startswith("---"):
        match = _FRONT_MATTER.match(text)
        if match:
            meta = _parse_front_matter(match[1])
            body = text[match.end() :]
        elif re.match(r"---[ \t]*\n", text):
            raise LoadError("front matter opened with --- but has no closing --- line")
    if body.startswith("\n"):
        body = body[1:]
    if not body.strip():
        raise LoadError("no text after the front matter")
    fields = _metadata_fields(meta)
    heading = _MARKDOWN_TITLE.search(body)
    fields["title"] = fields["title"] or (heading[1] if heading else path.stem)
    return Article(id=article_id(rel_path), body=body, path=rel_path, **fields)


def _parse_front_matter(block: str) -> dict[str, Any]:
    import yaml

    try:
        meta = yaml.safe_load(block)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""  # +1 for 1-based, +1 for ---
        raise LoadError(f"malformed YAML front matter: {problem}{where}") from error
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise LoadError(f"front matter must be `key: value` lines, got a YAML {type(meta).__name__}")
    return meta


# --- JSON / JSONL collections ------------------------------------------------------------------


def _read_json(text: str, rel_path: str) -> LoadResult:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise LoadError(f"malformed JSON at line {error.lineno}: {error.msg}") from error
    if isinstance(data, dict):
        listed = [data[key] for key in _COLLECTION_KEYS if isinstance(data.get(key), list)]
        records = listed[0] if listed else [data]
    elif isinstance(data, list):
        records = data
    else:
        raise LoadError(f"JSON holds a {type(data).__name__}; expected a record or a list of records")
    numbered = ((index, f"record {index + 1}", record) for index, record in enumerate(records))
    return _collect_records(numbered, rel_path, [])


def _jsonl_records(text: str, warnings: list[str]) -> Iterator[tuple[int, str, Any]]:
    # split on "\n" only: str.splitlines would also cut at U+2028 inside a JSON string
    for index, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            warnings.append(f"line {index + 1}: malformed JSON ({error.msg})")
            continue
        yield index, f"line {index + 1}", record


def _collect_records(
    records: Iterable[tuple[int, str, Any]], rel_path: str, warnings: list[str]
) -> LoadResult:
    """Articles from (index, label, record) triples; a record that can't be used becomes a warning."""
    articles: list[Article] = []
    label_of_key: dict[str, str] = {}
    for index, label, record in records:
        if not isinstance(record, dict):
            warnings.append(f"{label} is not a JSON object")
            continue
        body = next((v for k in _BODY_KEYS if isinstance(v := record.get(k), str) and v.strip()), None)
        if body is None:
            warnings.append(f"{label} has no body/text/content")
            continue
        key = _as_text(record.get("id")) or _as_text(record.get("url")) or str(index)
        if key in label_of_key:
            warnings.append(f"{label} has the same id/url as {label_of_key[key]} ({key!r}); skipped")
            continue
        label_of_key[key] = label
        fields = _metadata_fields(record)
        articles.append(
            Article(id=article_id(rel_path, key), body=body.replace("\r\n", "\n"), path=rel_path, **fields)
        )
    if not articles:
        reason = f"{len(warnings)} skipped, first: {warnings[0]}" if warnings else "the collection is empty"
        raise LoadError(f"no usable records ({reason})")
    return LoadResult(articles, warnings)


# --- metadata shared by front matter and records -----------------------------------------------


def _metadata_fields(meta: dict[str, Any]) -> dict[str, str]:
    published = next((meta[k] for k in ("published_at", "date", "published") if meta.get(k)), None)
    return {
        "title": _as_text(meta.get("title")),
        "source": _as_text(meta.get("source")),
        "url": _as_text(meta.get("url")),
        "published_at": _as_text(published),
        "author": _as_text(meta.get("author")),
        "category": _as_text(meta.get("category")),
    }


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):  # YAML reads unquoted dates as date/datetime
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(filter(None, (_as_text(item) for item in value)))
    return str(value).strip()
