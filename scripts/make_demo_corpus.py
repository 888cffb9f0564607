"""Write the demo corpus: the seed Reuters article plus MultiHop-RAG's 609 articles, one Markdown
file per article (YAML front matter + the body verbatim), so users can add or remove articles as
files. Run once from the repository root: `python scripts/make_demo_corpus.py ../shared`."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import yaml


def slug(text: str, limit: int = 70) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return words[:limit].rstrip("-") or "article"


def main(shared: Path, corpus: Path) -> None:
    (corpus / "seed").mkdir(parents=True, exist_ok=True)
    for seed in sorted((shared / "seed").glob("*.txt")):
        shutil.copyfile(seed, corpus / "seed" / seed.name)
    target = corpus / "multihop_rag"
    target.mkdir(parents=True, exist_ok=True)
    records = json.loads((shared / "datasets/multihop_rag/corpus.json").read_text(encoding="utf-8"))
    for number, record in enumerate(records):
        meta = {key: record[key] or "" for key in ("title", "source", "url", "published_at", "author", "category")}
        front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
        name = f"{number:03d}-{record['published_at'][:10]}-{slug(record['title'])}.md"
        (target / name).write_text(f"---\n{front}---\n\n{record['body']}", encoding="utf-8")
    print(f"wrote {len(records)} articles to {target}/")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared"), Path("corpus"))
