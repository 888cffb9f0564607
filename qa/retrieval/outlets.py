"""Well-known news outlets, so that a question naming one the corpus does not carry can be told so
("The corpus has no articles from Bloomberg") instead of being answered from other outlets."""

from __future__ import annotations

import re

KNOWN_OUTLETS = (
    "ABC News", "Al Jazeera", "AP News", "Associated Press", "Axios", "Barron's", "BBC", "BBC News",
    "Bloomberg", "Boston Globe", "Business Insider", "BuzzFeed News", "CBC", "CBS News", "CNBC", "CNET",
    "CNN", "Chicago Tribune", "Daily Mail", "Deadline", "Der Spiegel", "ESPN", "Financial Times",
    "Forbes", "Fox News", "Gizmodo", "HuffPost", "Hindustan Times", "Los Angeles Times", "MarketWatch",
    "Mashable", "NBC News", "NPR", "New York Post", "Newsweek", "Politico", "Reuters", "Rolling Stone",
    "Sky News", "Sky Sports", "Sports Illustrated", "TechCrunch", "The Athletic", "The Atlantic",
    "The Economist", "The Guardian", "The Hill", "The Hollywood Reporter", "The Independent",
    "The Information", "The New York Times", "The New Yorker", "The Telegraph", "The Times",
    "The Times of India", "Times of India", "The Verge", "The Wall Street Journal", "Wall Street Journal",
    "The Washington Post", "Washington Post", "TIME", "Time magazine", "USA Today", "Variety", "Vice",
    "Vox", "Wired", "Yahoo News", "Yahoo Finance", "ZDNet", "Engadget", "Ars Technica", "The Age",
    "The Sydney Morning Herald", "Le Monde", "South China Morning Post", "Nikkei Asia", "Bleacher Report",
    "Yardbarker", "Sporting News", "Polygon", "IGN", "Kotaku", "GameSpot", "Billboard", "Pitchfork",
    "Entertainment Weekly", "People", "TMZ", "Fortune", "Fast Company", "Quartz", "Seeking Alpha",
    "The Motley Fool", "Investopedia", "CBSSports.com", "Fox Sports", "NFL.com", "MLB.com", "Goal.com",
    "The Ringer", "Digital Trends", "Tom's Guide", "Tom's Hardware", "PCMag", "9to5Mac", "MacRumors",
    "Android Authority", "VentureBeat", "Hacker News", "Live Science", "Scientific American",
    "New Scientist", "Nature", "National Geographic", "Space.com", "Euronews", "Deutsche Welle",
    "France 24", "The Japan Times", "The Straits Times", "Haaretz", "The Jerusalem Post",
)

# "TIME", "People", "Nature", "Vice" read as plain words unless written as a publication's name.
_NEEDS_CONTEXT = {"time", "people", "nature", "vice", "the times", "the information", "variety"}
_CONTEXT = r"(?:\s+(?:article|report|piece|story|magazine|review|coverage|journal))"


def named_outlets(question: str) -> list[str]:
    """Well-known outlets the question names, longest names first, without overlaps."""
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for name in sorted(KNOWN_OUTLETS, key=len, reverse=True):
        pattern = re.escape(name) + (_CONTEXT if name.lower() in _NEEDS_CONTEXT else "")
        for match in re.finditer(rf"(?<![\w'-]){pattern}(?![\w-])", question):
            span = match.span()
            if any(s < span[1] and span[0] < e for s, e in taken):
                continue
            taken.append(span)
            found.append(name)
    return found


def missing_outlets(question: str, corpus_outlets: list[str]) -> list[str]:
    """Outlets named in the question of which the corpus holds no article (matched loosely: "CNBC"
    is carried when the index has "Cnbc | World Business News Leader")."""
    carried = [o.lower() for o in corpus_outlets]
    missing = []
    for name in named_outlets(question):
        key = name.lower().removeprefix("the ").strip()
        if not any(key in outlet or outlet.removeprefix("the ") in key for outlet in carried if outlet):
            missing.append(name)
    return missing
