"""Following a news site: the first fetch, and an unchanged re-check, against the simulated site
of the tests (tests/newssite.py: 200 article pages, two RSS feeds, an Atom feed, a sitemap index
with a news sitemap) on loopback, with no per-host delay.

    python benchmarks/follow.py [--json]

1. First run: every listing and article fetched, read (trafilatura) and written as corpus
   records, then ingested (MiniLM embedding). Pages per second for fetching and reading alone,
   and for the whole run with the ingest.
2. Unchanged re-check: the requests made (all conditional, 304), bytes read, seconds.
3. One article edited: requests, seconds, and the ingest of the one changed article.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from qa.errors import UnsafeURLError  # noqa: E402
from qa.index.build import ingest_corpus  # noqa: E402
from qa.index.embedding import SentenceTransformerEmbedder  # noqa: E402
from qa.index.follow import Follower  # noqa: E402
from qa.index.follow_state import local_state  # noqa: E402
from qa.ingest.addresses import AddressPolicy  # noqa: E402
from qa.ingest.fetch import FetchLimits  # noqa: E402
from tests.newssite import ARTICLES, FEEDS, HOST, NewsSite  # noqa: E402


def resolve(host: str, port: int) -> list[str]:
    if host != HOST:
        raise UnsafeURLError(f"cannot resolve {host!r}")
    return ["127.0.0.1"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    site = NewsSite().start()
    embedder = SentenceTransformerEmbedder()
    embedder.embed(["warm up"])
    figures: dict[str, object] = {"articles": ARTICLES}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        follower = Follower(root / "corpus", local_state(root / "index"),
                            lambda: ingest_corpus(root / "corpus", root / "index", embedder),
                            AddressPolicy(["127.0.0.1"], resolver=resolve), FetchLimits(host_delay=0.0))
        for path in (*FEEDS, "/sitemap_index.xml"):
            follower.add(site.url(path))
        first = follower.run(force=True)
        ingest_s = first.ingest.seconds if first.ingest else 0.0
        fetch_s = first.seconds - ingest_s
        figures["first_run"] = {
            "requests": first.requests.get("requests", 0), "bytes": first.requests.get("bytes", 0),
            "fetch_and_read_s": round(fetch_s, 2), "pages_per_s_fetch_and_read": round(ARTICLES / fetch_s, 1),
            "ingest_s": round(ingest_s, 2), "pages_per_s_with_ingest": round(ARTICLES / first.seconds, 1),
        }
        mark = len(site.requests)
        started = time.perf_counter()
        second = follower.run(force=True)
        made = site.requests[mark:]
        figures["unchanged_recheck"] = {
            "requests": len(made), "conditional": sum(c for _, c, _ in made), "not_modified": sum(s == 304 for _, _, s in made),
            "bytes": second.requests.get("bytes", 0), "seconds": round(time.perf_counter() - started, 3),
            "ingested": second.ingest is not None,
        }
        site.edit(120)
        mark = len(site.requests)
        third = follower.run(force=True)
        figures["one_article_edited"] = {
            "requests": len(site.requests) - mark, "seconds": round(third.seconds, 2),
            "ingest": third.ingest.summary().split(";")[0] if third.ingest else None,
        }
    site.stop()
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for name, value in figures.items():
            print(f"{name:>20}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
