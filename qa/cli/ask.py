"""`qa ask` and `qa chat`: answers with citations in the terminal, streamed."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import date

from qa.answering.shapes import SHAPE_NAMES, SHAPES
from qa.cli.common import env_help
from qa.errors import QAError


def add_ask_commands(sub: argparse._SubParsersAction) -> None:
    ask = sub.add_parser("ask", help="answer one question with citations")
    ask.add_argument("question")
    _answer_options(ask)
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of streaming text")
    ask.set_defaults(func=cmd_ask)
    chat = sub.add_parser("chat", help="a conversation in the terminal (follow-ups understood)")
    _answer_options(chat)
    chat.set_defaults(func=cmd_chat)


def _answer_options(parser: argparse.ArgumentParser) -> None:
    others = ", ".join(f"{name} {shape.k}" for name, shape in SHAPES.items() if name != "fact")
    parser.add_argument("--k", type=int, help=env_help("passages given to the model for fact questions", "k")
                        + f"; other shapes: {others}")
    parser.add_argument("--shape", choices=SHAPE_NAMES,
                        help="answer shape (default: chosen from the question's wording)")
    parser.add_argument("--source", action="append", default=[], help="only this outlet (repeatable)")
    parser.add_argument("--since", type=_day, help="only articles published on or after YYYY-MM-DD")
    parser.add_argument("--until", type=_day, help="only articles published on or before YYYY-MM-DD")
    parser.add_argument("--llm", help=env_help("language model backend: local, openai or fake", "llm"))
    parser.add_argument("--llm-model", help=env_help("bundled model name, .gguf path, or server model id", "llm_model"))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2023-10-31, got {text!r}") from None


def _answerer(args: argparse.Namespace):  # noqa: ANN202
    import os

    from qa.compose import build_answerer
    from qa.settings import load_settings

    settings = load_settings(os.environ, index_dir=args.index, llm=args.llm, llm_model=args.llm_model, k=args.k)
    answerer = build_answerer(settings)
    answerer.warm_up()  # so that the timings measure answering, not loading
    return answerer


def _filters(args: argparse.Namespace):  # noqa: ANN202
    from qa.retrieval.retrieve import Filters

    return Filters(tuple(args.source), args.since, args.until)


def print_citations(answer) -> None:  # noqa: ANN001
    """Sources once each, then every claim with the sentences that support it."""
    for c in answer.citations:
        print(f"  [{c.n}] {c.title} — {c.source} {c.published_at[:10]}\n      {c.url}")
    quoted = [claim for claim in answer.claims if claim.quotes]
    if quoted:
        print("\n  Evidence:")
    for claim in quoted:
        mark = "  (the article's own words)" if claim.verbatim else "" if claim.supported else "  (not verified)"
        print(f"  • {claim.text}{mark}")
        for q in claim.quotes:
            print(f"      [{q.n}] “{q.quote}”")


def print_sources(event) -> None:  # noqa: ANN001
    """What the model is reading, shown while it writes (stderr, so stdout holds only the answer)."""
    print("Reading:", file=sys.stderr)
    for item in event.items:
        print(f"  [{item.n}] {item.source} {item.published_at[:10]} — {item.title}\n      “{item.sentence}”", file=sys.stderr)
    print(file=sys.stderr, flush=True)


def cmd_ask(args: argparse.Namespace) -> int:
    from qa.answering.answer import Claimed, Sources, Token

    answerer = _answerer(args)
    for event in answerer.stream(args.question, filters=_filters(args), k=args.k, shape=args.shape):
        if isinstance(event, Sources):
            if not args.json:
                print_sources(event)
            continue
        if isinstance(event, Token | Claimed):  # verified sentences only: the answer is what was printed
            if not args.json:
                print(event.text, end="", flush=True)
            continue
        if args.json:
            payload = asdict(event)
            payload.pop("hits")
            print(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            print("\n")
            print_citations(event)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from qa.answering.answer import Claimed, Sources, Token, Turn

    answerer = _answerer(args)
    history: list[Turn] = []
    print("Ask about the news in the corpus. An empty line or Ctrl-D ends the chat.", file=sys.stderr)
    while True:
        try:
            question = input("\nyou> ").strip()
        except EOFError:
            return 0
        if not question:
            return 0
        try:
            print("bot> ", end="", flush=True)
            for event in answerer.stream(question, history, k=args.k, filters=_filters(args), shape=args.shape):
                if isinstance(event, Sources):
                    continue  # the chat streams the answer at once; sources come with it
                if isinstance(event, Token | Claimed):
                    print(event.text, end="", flush=True)
                else:
                    print("\n")
                    print_citations(event)
                    history.append(Turn(event.question, event.answer))
        except QAError as exc:
            print(f"\nerror: {exc}", file=sys.stderr)
