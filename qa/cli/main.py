"""The `qa` command: ingest, search, stats, boilerplate, serve (more subcommands register themselves below)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qa.cli.common import env_help, make_embedder, progress_bar, settings_from_args
from qa.errors import QAError
from qa.settings import load_settings

if TYPE_CHECKING:
    from qa.index.build import IngestReport


def cmd_ingest(args: argparse.Namespace) -> int:
    from qa.compose import build_follower, ingest, ingest_options

    settings = settings_from_args(args)
    urls = [source for source in args.sources if "://" in source]
    folders = [source for source in args.sources if "://" not in source]
    if len(folders) > 1:
        raise QAError(f"Give one corpus folder (and any number of URLs), not {len(folders)}: {' '.join(folders)}")
    corpus = Path(folders[0]) if folders else settings.corpus_dir
    if not urls and not corpus.is_dir():
        raise QAError(f"No corpus folder at {corpus}/ — give the folder that holds the articles.")
    options = ingest_options(settings, args.rebuild)
    target = f"{settings.index_dir}/" if settings.store == "local" else f"Milvus at {settings.milvus_uri_or_default}"

    def run_ingest() -> IngestReport:
        print(f"Ingesting {corpus}/ into {target} …", file=sys.stderr)
        embedder = make_embedder(settings)
        if args.workers and args.workers > 1:
            from qa.index.parallel import ParallelEmbedder

            embedder = ParallelEmbedder(settings.embed_model, settings.embed_batch_size, args.workers)
        try:
            return ingest(settings, corpus, embedder, options, progress_bar)
        finally:
            getattr(embedder, "close", lambda: None)()

    if urls:
        print(f"Fetching {len(urls)} URL{'s' if len(urls) > 1 else ''} into {corpus}/web/ …", file=sys.stderr)
        fetched = build_follower(replace(settings, corpus_dir=corpus), run_ingest).fetch_urls(urls)
        print(fetched.summary().split("\ningest:")[0].split("\n  error:")[0])
        for error in fetched.errors:
            print(f"error: {error}", file=sys.stderr)
        report = fetched.ingest if fetched.ingest is not None or not folders else run_ingest()
        if report is None:
            print("nothing new to ingest")
            return 1 if fetched.errors else 0
    else:
        report = run_ingest()
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(report.summary())
    return 1 if urls and fetched.errors else 0


def cmd_search(args: argparse.Namespace) -> int:
    from qa.compose import build_retriever

    settings = settings_from_args(args)
    hits = build_retriever(settings, make_embedder(settings)).search(args.query, k=args.k)
    if args.json:
        print(json.dumps([asdict(hit) for hit in hits], ensure_ascii=False, indent=2))
        return 0
    for rank, hit in enumerate(hits, 1):
        date = hit.published_at[:10]
        print(f"{rank:2}. [{hit.score:.4f}] {hit.title} — {hit.source} {date}")
        print(f"    {hit.url}  chars {hit.start}-{hit.end}")
        print(f"    {' '.join(hit.text.split())[:240]}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from qa.index import generations
    from qa.index.store import Store

    settings = settings_from_args(args)
    if settings.store == "local":
        generation = generations.require_generation(settings.index_dir)
        store = Store(generation / generations.STORE_FILE, readonly=True)
        size = generations.disk_size(settings.index_dir)
    else:
        from qa.compose import build_retriever

        store, size = build_retriever(settings, make_embedder(settings)).store, None  # the engine's own size
    meta = store.meta()
    stats = {
        **store.counts(),
        "embedding_model": meta.get("embed_model"),
        "index_type": meta.get("index_type"),
        "chunk_chars": int(meta.get("chunk_chars", 0)),
        "index_bytes": size,
        "updated_at": meta.get("updated_at"),
        "top_outlets": dict(store.outlets()[:10]),
        # Boilerplate is found by the local ingest only (see qa/ingest/boilerplate.py).
        "boilerplate": store.boilerplate_counts() if settings.store == "local" else None,
    }
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
        return 0
    for key, value in stats.items():
        print(f"{key:>18}: {value}")
    return 0


def cmd_boilerplate(args: argparse.Namespace) -> int:
    from qa.index import generations
    from qa.index.store import Store

    settings = settings_from_args(args)
    if settings.store != "local":
        raise QAError("Boilerplate is found by the local ingest only; `qa boilerplate` reads a local index (QA_STORE=local).")
    store = Store(generations.require_generation(settings.index_dir) / generations.STORE_FILE, readonly=True)
    found = store.boilerplate(args.source)
    if args.source is not None and not found and args.source not in dict(store.outlets()):
        raise QAError(f"No outlet named {args.source!r} in the index — `qa stats` lists them.")
    if args.json:
        print(json.dumps([{"source": b.source, "sentence": b.sentence, "articles": b.articles} for b in found],
                         ensure_ascii=False, indent=2))
        return 0
    source = None
    for item in found:
        if item.source != source:
            source = item.source
            print(f"{source}:")
        print(f"  {item.articles:4}  {' '.join(item.sentence.split())}")
    if not found:
        print("no boilerplate sentences found")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from qa.serving.serve import serve

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    return serve(load_settings(os.environ, index_dir=args.index, host=args.host, port=args.port), follow=args.follow)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa", description="Question answering with citations over news articles.", allow_abbrev=False
    )
    parser.add_argument("--index", metavar="DIR", help=env_help("index folder", "index_dir"))
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="build or update the index from a corpus folder, or from article, feed and sitemap URLs")
    ingest.add_argument("sources", nargs="*", metavar="CORPUS_OR_URL",
                        help=env_help("folder of articles", "corpus_dir") + "; http(s) URLs of article pages, RSS/Atom "
                        "feeds or sitemaps are fetched once into the corpus's web/ folder, then ingested")
    ingest.add_argument("--rebuild", action="store_true", help="re-read and re-embed everything")
    ingest.add_argument("--chunk-chars", type=int, help=env_help("max chunk length in characters", "chunk_chars"))
    ingest.add_argument("--index-type", choices=["flat", "hnsw"], help=env_help("FAISS index: exact or approximate", "index_type"))
    ingest.add_argument("--boilerplate-min-articles", type=int, metavar="N",
                        help=env_help("a sentence in N stories of one outlet is boilerplate; 0 = off", "boilerplate_min_articles"))
    ingest.add_argument("--embed-model", help=env_help("sentence-transformers model", "embed_model"))
    ingest.add_argument("--workers", type=int, default=1, metavar="N", help="embed in N processes (default 1)")
    ingest.set_defaults(func=cmd_ingest)

    search = sub.add_parser("search", help="show the best-matching passages for a query")
    search.add_argument("query")
    search.add_argument("--k", type=int, default=5, help="number of passages (default 5)")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(func=cmd_search)

    stats = sub.add_parser("stats", help="what the index holds")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(func=cmd_stats)

    boiler = sub.add_parser("boilerplate", help="list the sentences kept out of chunks as outlets' boilerplate")
    boiler.add_argument("--source", metavar="OUTLET", help="only this outlet's (as `qa stats` names it)")
    boiler.add_argument("--json", action="store_true", help="print JSON")
    boiler.set_defaults(func=cmd_boilerplate)

    serve = sub.add_parser("serve", help="start the chat UI and the HTTP API (same as python app.py)")
    serve.add_argument("--host", help="address to listen on (env QA_HOST, default 127.0.0.1 without API keys, 0.0.0.0 with them)")
    serve.add_argument("--port", type=int, help=env_help("port", "port"))
    serve.add_argument("--follow", action="store_true",
                       help="also check the followed sources (qa follow add) in the background, each when it is due")
    serve.set_defaults(func=cmd_serve)

    from qa.cli.evaluate import add_eval_command

    add_eval_command(sub)
    from qa.cli.ask import add_ask_commands

    add_ask_commands(sub)
    from qa.cli.follow import add_follow_command

    add_follow_command(sub)
    for command in sub.choices.values():
        # Options are taken whole ("--index" never becomes "--index-type"), and the global --index
        # also works after the subcommand, where people type it.
        command.allow_abbrev = False
        if "--index" not in command._option_string_actions:
            command.add_argument("--index", default=argparse.SUPPRESS, metavar="DIR", help=env_help("index folder", "index_dir"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except QAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
