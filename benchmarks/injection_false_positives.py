"""How often does the injection detector flag real news? Counts and lists flagged articles and sentences.

    python benchmarks/injection_false_positives.py --corpus corpus

Every flag on the demo corpus is a false positive (it holds no injected text), so the goal is zero.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.answering.sanitize import instruction_spans  # noqa: E402
from qa.answering.untrusted import is_instruction_like  # noqa: E402
from qa.ingest.sentences import sentence_spans  # noqa: E402

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?^---[ \t]*\n", re.DOTALL | re.MULTILINE)


def read_body(path: Path) -> str:
    """The article text of a corpus .txt (after the title line) or .md (after the front matter) file."""
    text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    if path.suffix == ".md":
        return _FRONT_MATTER.sub("", text, count=1)
    return text.lstrip().partition("\n")[2]


def corpus_files(corpus: Path) -> list[Path]:
    """The .txt and .md article files under `corpus`, README files excluded."""
    files = [*corpus.rglob("*.txt"), *corpus.rglob("*.md")]
    return sorted(p for p in files if p.name.lower() != "readme.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"), help="corpus folder (default: corpus)")
    args = parser.parse_args()
    files = corpus_files(args.corpus)
    if not files:
        sys.exit(f"no .txt or .md articles under {args.corpus}")
    sentence_total = flagged_sentences = 0
    flagged_articles: list[tuple[Path, list[str]]] = []
    for path in files:
        body = read_body(path)
        # Line by line: the same sentences (a line break ends one), without sentence_spans' quadratic cost.
        sentences = [line[s:e] for line in body.split("\n") for s, e in sentence_spans(line)]
        sentence_total += len(sentences)
        hits = [sentence for sentence in sentences if is_instruction_like(sentence)]
        flagged_sentences += len(hits)
        spans = instruction_spans(body)
        blocks = [block for block in body.split("\n\n") if is_instruction_like(block)]  # as a chunk would be seen
        if spans or blocks:
            flagged_articles.append((path, [body[s:e] for s, e in spans] or blocks))
    print(f"articles: {len(files)}  flagged: {len(flagged_articles)}")
    print(f"sentences: {sentence_total}  flagged by is_instruction_like: {flagged_sentences}")
    print("(an article counts when instruction_spans finds a span or is_instruction_like flags a paragraph)")
    for path, texts in flagged_articles:
        print(f"\n{path}")
        for text in texts:
            print(f"  - {' '.join(text.split())[:300]}")


if __name__ == "__main__":
    main()
