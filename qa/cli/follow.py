"""`qa follow`: follow news feeds, sitemaps and pages — add, list, remove, and run (once, for cron)."""

from __future__ import annotations

import argparse
import json
import sys

from qa.cli.common import env_help, make_embedder, progress_bar, settings_from_args


def _follower(args: argparse.Namespace):  # noqa: ANN202
    from qa.compose import build_follower, ingest, ingest_options

    settings = settings_from_args(args)

    def run_ingest():  # noqa: ANN202 - the embedding model is loaded only when something was fetched
        print(f"Ingesting {settings.corpus_dir}/ …", file=sys.stderr)
        return ingest(settings, settings.corpus_dir, make_embedder(settings), ingest_options(settings), progress_bar)

    return build_follower(settings, run_ingest)


def cmd_add(args: argparse.Namespace) -> int:
    source = _follower(args).add(args.url, args.every)
    print(f"following {source.url} every {_interval(source.every_s)} (id {source.id}); `qa follow run` checks it")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from qa.index.follow import source_payload

    follower = _follower(args)
    articles = follower.articles()
    rows = [source_payload(source, articles.get(source.id, 0)) for source in follower.sources()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no sources followed — add one with `qa follow add URL`")
    for row in rows:
        last = row["last_fetch"] or "never"
        print(f"{row['id']}  {row['url']}  every {_interval(row['every_s'])}  {row['kind'] or '?'}")
        print(f"    last fetch {last}; {row['articles']} articles; last check: {row['listed']} listed, "
              f"{row['new']} new, {row['changed']} changed, {row['failed']} failed")
        if row["last_error"]:
            print(f"    error: {row['last_error']}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    source = _follower(args).remove(args.source)
    print(f"no longer following {source.url} (its articles stay in the index)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Exit status 1 when a source (or the ingest) failed, the others still checked, so cron sees it."""
    report = _follower(args).run(force=args.all)
    print(report.summary(errors=False))
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    if not report.errors:
        return 0
    failed = report.failed_sources
    problems = [f"{failed} of {len(report.checked)} sources failed, the others were checked"] if failed else []
    if len(report.errors) > failed:
        problems.append("the ingest failed (what was fetched is ingested at the next run)")
    print(f"follow run: {'; '.join(problems)} (exit status 1)", file=sys.stderr)
    return 1


def _interval(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def add_follow_command(sub: argparse._SubParsersAction) -> None:
    follow = sub.add_parser("follow", help="follow news feeds, sitemaps and pages and keep the index current")
    actions = follow.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="follow an RSS/Atom feed, a (news) sitemap or sitemap index, or a page")
    add.add_argument("url")
    add.add_argument("--every", default="15m", metavar="INTERVAL", help="how often to check it: 15m, 2h, 1d (default 15m)")
    add.set_defaults(func=cmd_add)
    listing = actions.add_parser("list", help="the followed sources: last fetch, item counts, last error")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=cmd_list)
    remove = actions.add_parser("remove", help="stop following a source (its articles stay in the index)")
    remove.add_argument("source", help="its id or URL, as `qa follow list` shows them")
    remove.set_defaults(func=cmd_remove)
    run = actions.add_parser(
        "run", help="check the due sources once, fetch what is new or changed, ingest it (for cron; exit status 1 "
                    "when a source failed)",
        description="Check the sources that are due once, fetch what is new or changed, and ingest it. "
                    "A failing source never stops the others. Exit status: 0 when every source checked went "
                    "well; 1 when any source failed (or the ingest after the fetch did): the others were still "
                    "checked and ingested, and each error is printed on stderr and kept for `qa follow list`; "
                    "2 when nothing could run (a configuration error).")
    run.add_argument("--all", action="store_true", help="check every source now, due or not")
    run.set_defaults(func=cmd_run)
    for action in actions.choices.values():
        action.allow_abbrev = False
        action.add_argument("--index", default=argparse.SUPPRESS, metavar="DIR", help=env_help("index folder", "index_dir"))
