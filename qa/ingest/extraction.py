"""How text is pulled out of HTML pages (trafilatura) and PDFs (pypdf); `qa.ingest.loaders.load_file` calls these.

Both libraries are slow to import, so each is imported inside the function that needs it.
"""

from __future__ import annotations

import io
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING

from qa.errors import LoadError
from qa.types import Article

if TYPE_CHECKING:
    from lxml.html import HtmlElement
    from pypdf import DocumentInformation


def read_html(html: str, article_id: str, rel_path: str, fallback_title: str) -> Article:
    """The main text and metadata of a web page; navigation, scripts and comments are dropped.

    Metadata is trafilatura's: the title, the outlet (`og:site_name`, the JSON-LD publisher; else
    the host name of the page's URL), the publication date (`article:published_time`, JSON-LD
    `datePublished`, ...), the canonical URL (`<link rel=canonical>`, `og:url`) and the author."""
    import trafilatura
    from trafilatura.settings import Document

    tree = trafilatura.load_html(html)
    if tree is None:
        raise LoadError("no article text found (not parseable as HTML)")
    document = trafilatura.bare_extraction(
        tree,
        with_metadata=True,
        include_comments=False,
        favor_precision=True,  # a stray menu item in the body is worse than a lost caption
        # no extensive search: it guesses dates from footers and copyright lines
        date_extraction_params={"original_date": True, "extensive_search": False},
    )
    body = document.text if isinstance(document, Document) else None
    if not isinstance(document, Document) or not body or _only_navigation_text(body, tree):
        raise LoadError("no article text found")
    return Article(
        id=article_id,
        title=document.title or fallback_title,
        body=body.replace("\r\n", "\n"),
        source=document.sitename or "",
        url=document.url or "",
        published_at=document.date or "",
        author=document.author or "",
        category=document.categories[0] if document.categories else "",
        path=rel_path,
    )


def modified_date(html: str) -> str:
    """The page's last-modified date (`article:modified_time`, JSON-LD `dateModified`, ...) as
    YYYY-MM-DD, "" when it gives none (htmldate, without guessing from the page's text)."""
    import htmldate

    with suppress(ValueError, TypeError):
        return htmldate.find_date(html, original_date=False, extensive_search=False) or ""
    return ""


def _only_navigation_text(text: str, tree: HtmlElement) -> bool:
    """True when every extracted word also appears in a link or <nav>: a menu or a list of headlines.

    trafilatura falls back to whatever text a page has, so a page with nothing but navigation would
    otherwise come back as an "article" reading "Home Sport".
    """
    link_words = set(" ".join(tree.xpath("//a//text() | //nav//text()")).split())
    return all(word in link_words for word in text.split())


def read_pdf(data: bytes, article_id: str, rel_path: str) -> Article:
    """The text layer of a PDF, with title and creation date from its metadata when it has them."""
    text, info = _pdf_text_and_info(data)
    body = text.replace("\r\n", "\n").strip()
    if not body:
        raise LoadError("no text layer in PDF (a scan? run OCR on it first)")
    first_line = body.partition("\n")[0].strip()
    published_at = ""
    if info is not None:
        with suppress(ValueError):  # a malformed /CreationDate is no reason to drop the text
            created: datetime | None = info.creation_date
            published_at = created.isoformat() if created else ""
    return Article(
        id=article_id,
        title=((info.title or "").strip() if info else "") or first_line,
        body=body,
        published_at=published_at,
        author=((info.author or "").strip() if info else ""),
        path=rel_path,
    )


def _pdf_text_and_info(data: bytes) -> tuple[str, DocumentInformation | None]:
    from pypdf import PasswordType, PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise LoadError("encrypted PDF (it needs a password; save a decrypted copy)")
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        return text, reader.metadata
    except LoadError:
        raise
    except Exception as error:  # pypdf raises many unrelated types on broken files; all mean "unreadable"
        raise LoadError(f"unreadable PDF ({type(error).__name__}: {error})") from error
