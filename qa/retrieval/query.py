"""What does a news question ask for? Outlets it names and times it mentions, as filters and boosts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

_MONTHS = {
    name: number
    for number, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_ISO = re.compile(r"\b(?P<year>(?:19|20)\d{2})-(?P<month>\d{2})-(?P<day>\d{2})(?:T[\d:.+-]+Z?)?")
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?\b", re.IGNORECASE)
_DAY_OF_MONTH = re.compile(rf"\b(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?\b", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"\b(?:in|during|of|from)\s+{_MONTH}(?:\s+{_YEAR})?\b", re.IGNORECASE)
_RELATIVE = re.compile(r"\b(?P<which>last|this|past|previous)\s+(?P<unit>week|month|year)\b", re.IGNORECASE)
_WEEKEND = re.compile(r"\b(?P<which>last|this|past|over the)\s+weekend\b", re.IGNORECASE)
# Days a chat user names relative to today; a report of last night's match is often dated the next day.
_DAYS_BACK = {"today": (0, 0), "tonight": (0, 0), "this morning": (0, 0), "yesterday": (1, 0), "last night": (1, 0)}
_DAY_WORD = re.compile(r"\b(?P<word>" + "|".join(_DAYS_BACK) + r")\b", re.IGNORECASE)
# Words asking for the newest news without naming a window ("today", "this week" make windows):
# such questions prefer newer articles (RetrievalConfig.recency_weight).
_RECENT = re.compile(
    r"\b(?:latest|newest|most recent(?:ly)?|recent(?:ly)?|currently|so far|right now|breaking|these days|"
    r"past few days|lately)\b",
    re.IGNORECASE,
)
_AFTER = re.compile(r"\b(after|since|following)\s*$", re.IGNORECASE)
_BEFORE = re.compile(r"\b(before|prior to|until|by)\s*$", re.IGNORECASE)
# Words in an outlet name that say which section it is, not which outlet.
_SECTION_SPLIT = re.compile(r"\s+(?:-|\||–)\s+")


@dataclass(frozen=True)
class DateRange:
    """Inclusive range of publication days; None means open-ended."""

    since: date | None = None
    until: date | None = None
    # Counted back from today ("yesterday", "last week"): the question asks for the news of that
    # window, so retrieval ranks within it too, not only boosts it.
    relative: bool = field(default=False, compare=False)

    def contains(self, day: date) -> bool:
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)


@dataclass(frozen=True)
class QueryPlan:
    """A question with the outlets and publication-time ranges it mentions."""

    text: str
    sources: tuple[str, ...] = ()
    dates: tuple[DateRange, ...] = field(default_factory=tuple)
    core: str = ""  # the question without the outlet names and dates, for matching article text
    mentions: tuple[tuple[str, ...], ...] = ()  # per outlet named, the outlets (sections) it can mean
    recent: date | None = None  # the day to count back from when it asks for the newest news without a window


def outlet_label(outlet: str) -> str:
    """An outlet's name without its section or tagline, for labels: "Cnbc | World Business News
    Leader" -> "Cnbc", "The Independent - Life and Style" -> "The Independent"."""
    head = _SECTION_SPLIT.split(outlet)[0].strip()
    return head if len(head) >= 3 else outlet


def outlet_aliases(outlets: list[str]) -> dict[str, set[str]]:
    """Lower-cased name or alias -> outlets it can mean ("The Independent" -> every Independent section)."""
    aliases: dict[str, set[str]] = {}
    for outlet in outlets:
        names = {outlet}
        head = _SECTION_SPLIT.split(outlet)[0].strip()
        if len(head) >= 3:
            names.add(head)
        for name in names:
            aliases.setdefault(name.lower(), set()).add(outlet)
    return aliases


def find_outlets(
    question: str, aliases: dict[str, set[str]], taken: list[tuple[int, int]] | None = None
) -> tuple[str, ...]:
    """Outlets named in the question, longest names first so a section beats its parent name.
    The spans of the mentions are appended to `taken` when given."""
    found: list[str] = []
    for mention in find_outlet_mentions(question, aliases, taken):
        found += [outlet for outlet in mention if outlet not in found]
    return tuple(found)


def find_outlet_mentions(
    question: str, aliases: dict[str, set[str]], taken: list[tuple[int, int]] | None = None
) -> tuple[tuple[str, ...], ...]:
    """Each outlet the question names, as the outlets that name can mean ("The Independent" ->
    all its sections), longest names first; in order of the names' length, one entry per name."""
    lowered = question.lower()
    mentions: list[tuple[str, ...]] = []
    taken = [] if taken is None else taken
    for alias in sorted(aliases, key=len, reverse=True):
        for match in re.finditer(rf"(?<!\w){re.escape(alias)}(?!\w)", lowered):
            span = match.span()
            if any(s < span[1] and span[0] < e for s, e in taken):
                continue
            taken.append(span)
            mention = tuple(sorted(aliases[alias]))
            if mention not in mentions:
                mentions.append(mention)
    return tuple(mentions)


def find_dates(question: str, today: date, used: list[tuple[int, int]] | None = None) -> tuple[DateRange, ...]:
    """Publication-time ranges the question mentions. A day without a year takes the year that puts
    it on or before `today` (the corpus's newest date, or the real date). The spans of the
    mentions are appended to `used` when given."""
    ranges: list[DateRange] = []
    used = [] if used is None else used

    def add(span: tuple[int, int], found: DateRange) -> None:
        if any(s < span[1] and span[0] < e for s, e in used):
            return
        used.append(span)
        prefix = question[max(0, span[0] - 12) : span[0]]
        day = found.since
        if _AFTER.search(prefix) and day:
            found = DateRange(day, None)
        elif _BEFORE.search(prefix) and found.until:
            found = DateRange(None, found.until)
        ranges.append(found)

    for match in _ISO.finditer(question):
        day = _safe_date(int(match["year"]), int(match["month"]), int(match["day"]))
        if day:
            add(match.span(), DateRange(day, day))
    for pattern in (_MONTH_DAY_YEAR, _DAY_OF_MONTH):
        for match in pattern.finditer(question):
            month, number = _MONTHS[match["month"].lower()], int(match["day"])
            year = int(match["year"]) if match["year"] else _year_before(today, month, number)
            day = _safe_date(year, month, number)
            if day:
                add(match.span(), DateRange(day, day))
    for match in _MONTH_YEAR.finditer(question):
        month = _MONTHS[match["month"].lower()]
        year = int(match["year"]) if match["year"] else _year_before(today, month, 1)
        first = date(year, month, 1)
        last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
        add(match.span(), DateRange(first, last))
    for match in _WEEKEND.finditer(question):
        add(match.span(), _weekend(match["which"].lower(), today))
    for match in _RELATIVE.finditer(question):
        add(match.span(), _relative_range(match["which"].lower(), match["unit"].lower(), today))
    for match in _DAY_WORD.finditer(question):
        if _in_a_name(question, match):
            continue  # "USA Today", "Business Today": an outlet, not a day
        back, forward = _DAYS_BACK[match["word"].lower()]
        add(match.span(), DateRange(today - timedelta(days=back), today - timedelta(days=forward), relative=True))
    return tuple(ranges)


def plan_query(question: str, outlets: list[str], today: date) -> QueryPlan:
    spans: list[tuple[int, int]] = []
    mentions = find_outlet_mentions(question, outlet_aliases(outlets), spans)
    sources: list[str] = []
    for mention in mentions:
        sources += [outlet for outlet in mention if outlet not in sources]
    dates = find_dates(question, today, spans)
    core = question
    for start, end in sorted(spans, reverse=True):
        core = core[:start] + " " + core[end:]
    core = " ".join(core.replace("'", " ").replace('"', " ").split())
    # A relative window ("yesterday", "this week") already ranks its own days first, and a decay on
    # top of it lowered recall (docs/follow.md): the decay is for "latest" without a window.
    asks_recent = bool(_RECENT.search(question)) and not any(span.relative for span in dates)
    return QueryPlan(question, tuple(sources), dates, core, mentions, today if asks_recent else None)


def _in_a_name(text: str, match: re.Match[str]) -> bool:
    """A capitalised word right after another capitalised word ("USA Today") is part of a name."""
    before = text[: match.start()].split()
    return match.group(0)[0].isupper() and bool(before) and before[-1][0].isupper() and not before[-1].endswith((".", "?", "!"))


def _weekend(which: str, today: date) -> DateRange:
    """Saturday to the Monday after (weekend events are reported on Monday too): "this weekend"
    is the one under way or just gone, "last weekend" the one before a weekend under way."""
    saturday = today - timedelta(days=(today.weekday() - 5) % 7)
    if which == "last" and today.weekday() >= 5:
        saturday -= timedelta(days=7)
    return DateRange(saturday, min(saturday + timedelta(days=2), today), relative=True)


def _relative_range(which: str, unit: str, today: date) -> DateRange:
    span = {"week": 7, "month": 31, "year": 365}[unit]
    if which == "this":
        start = today - timedelta(days=today.weekday()) if unit == "week" else today.replace(day=1)
        if unit == "year":
            start = today.replace(month=1, day=1)
        return DateRange(start, today, relative=True)
    return DateRange(today - timedelta(days=span), today, relative=True)


def _year_before(today: date, month: int, day: int) -> int:
    candidate = _safe_date(today.year, month, min(day, 28))
    return today.year if candidate and candidate <= today else today.year - 1


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
