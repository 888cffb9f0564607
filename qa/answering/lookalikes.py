"""Text spelt the way a reader sees it: lookalike characters folded, for detecting injected
instructions written with homoglyphs, zero-width, fullwidth or letter-spaced characters."""

from __future__ import annotations

import functools
import re
import unicodedata

# Zero-width, joiner, bidi-control and other invisible characters.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff]"
)
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Cyrillic, Greek and Armenian letters drawn like Latin ones (after NFKC, accents stripped).
_HOMOGLYPHS = str.maketrans(
    "аеорсухіјѕԁһԛԝӏкАВЕКМНОРСТХУІЈЅԜ"  # Cyrillic
    "αεικνορυχγΑΒΕΖΗΙΚΜΝΟΡΤΥΧ"  # Greek
    "օսı",  # Armenian o, u; dotless i
    "aeopcyxijsdhqwlkABEKMHOPCTXYIJSW"
    "aeikvopuxyABEZHIKMNOPTYX"
    "oui",
)
# Three or more single characters each followed by one space: "I g n o r e".
_LETTER_SPACED = re.compile(r"(?<!\S)(?:\S ){2,}\S[^\s\w]?(?!\S)")


def fold_lookalikes(text: str) -> str:
    """Spell `text` the way a reader sees it, for detection only (the result is not span-aligned).

    NFKC (fullwidth and styled letters become ASCII), accents and invisible characters removed,
    Cyrillic/Greek lookalikes mapped to Latin, and "I g n o r e"-style letter spacing closed up.
    """
    text = fold_characters(text)
    closed = _LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)
    return re.sub(r"(?<=\S) {2,}(?=\S)", " ", closed) if closed != text else text


def fold_characters(text: str) -> str:
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", _INVISIBLE.sub("", text))
    return unicodedata.normalize("NFKC", _COMBINING.sub("", decomposed)).translate(_HOMOGLYPHS)


def fold_in_place(text: str) -> str:
    """`text` with lookalike characters folded one for one, so sentence ends are seen as a reader sees
    them ("killеd." with a Cyrillic е, "Ｉｇｎｏｒｅ" after a full stop) and spans stay aligned."""
    return text if text.isascii() else "".join(c if c.isascii() else _fold_character(c) for c in text)


@functools.lru_cache(maxsize=4096)
def _fold_character(c: str) -> str:
    folded = fold_characters(c)
    return folded if len(folded) == 1 else c
