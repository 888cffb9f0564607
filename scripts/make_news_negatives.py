"""Write the news sentences the instruction classifier learns as "not addressed to the system".

    python scripts/make_news_negatives.py [--count 6000] > qa/answering/data/news_negatives.txt

Sentences of three words or more from the demo corpus' `dev`-split articles only
(benchmarks/questions/stories.json), so that false positives can be measured on the `test`-split
articles' sentences, which the classifier never saw. One sentence a line, deduplicated, seeded sample.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa.ingest.sentences import sentence_spans  # noqa: E402

_FRONT = re.compile(r"\A---[ \t]*\n(.*?)^---[ \t]*\n", re.DOTALL | re.MULTILINE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=6000)
    args = parser.parse_args()
    splits = json.loads((ROOT / "benchmarks/questions/stories.json").read_text(encoding="utf-8"))
    sentences: dict[str, None] = {}
    for path in sorted((ROOT / "corpus/multihop_rag").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        match = _FRONT.match(text)
        url = re.search(r"^url: (.*)$", match.group(1), re.M).group(1).strip("'\"") if match else ""
        if splits.get(url, {}).get("split") != "dev":
            continue
        body = text[match.end():] if match else text
        for start, end in sentence_spans(body):
            sentence = " ".join(body[start:end].split())
            if len(sentence.split()) >= 3:
                sentences[sentence] = None
    chosen = sorted(sentences)
    random.Random(0).shuffle(chosen)
    print("\n".join(chosen[: args.count]))


if __name__ == "__main__":
    main()
