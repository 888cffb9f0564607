"""What every `qa` subcommand shares: settings from flags and environment, the embedder, a progress bar."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from qa.settings import ENV_VARS, Settings, load_settings


def settings_from_args(args: argparse.Namespace) -> Settings:
    flags = {"index_dir": getattr(args, "index", None)}
    for name in ("chunk_chars", "index_type", "embed_model", "boilerplate_min_articles"):
        flags[name] = getattr(args, name, None)
    return load_settings(os.environ, **flags)


def make_embedder(settings: Settings):  # noqa: ANN202
    from qa.index.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch_size)


def progress_bar(total: int) -> Callable[[int], None]:
    from tqdm import tqdm

    bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr, dynamic_ncols=True)
    return bar.update


def env_help(text: str, field: str) -> str:
    """Help text naming the setting's environment variable and its default, read from Settings itself."""
    default = getattr(Settings(), field)
    shown = f"{default}/" if isinstance(default, Path) else default
    return f"{text} (env {ENV_VARS[field]}, default {shown})"
