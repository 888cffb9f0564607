"""Split the demo corpus into stories, and the stories into `dev` and `test`.

    python scripts/split_stories.py [--threshold 0.25] > benchmarks/questions/stories.json

A story is a connected group of articles: two articles are linked when the TF-IDF cosine of their
title (weighted three times) and first 1,500 characters reaches the threshold, or when their titles
both name one of a few long-running stories (OpenAI/Altman, FTX, Israel–Hamas, …) that word overlap
alone splits. Stories holding a gold article of the original realistic questions are `dev`; the rest
go to `dev` or `test` by a hash of the story's first URL, so the split is reproducible and questions
written for `test` never share a story with questions tuned on.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import math
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STOP = set(
    "the a an of to in and or for on with at by from as is are was were be been it its this that these those he "
    "she they his her their we you i not but have has had will would can could into over after before about than "
    "more most new says said say also up out who what when where which how why all one two three year years time "
    "first last just like".split()
)
LINKED = [["openai", "altman"], ["bankman", "ftx", "sbf"], ["israel", "hamas", "gaza"], ["swift", "kelce"],
          ["epic", "google"], ["musk", "twitter", " x "], ["trump"]]


def read_articles() -> list[dict]:
    articles = []
    for path in sorted((ROOT / "corpus/multihop_rag").glob("*.md")):
        front, body = path.read_text(encoding="utf-8").split("\n---\n", 1)
        meta = dict(re.findall(r"^(\w+): (.*)$", front, re.M))
        articles.append({"url": meta["url"].strip("'"), "title": meta["title"].strip("'\""), "body": body})
    seed = ROOT / "corpus/seed/000_d51a99bcb2f95f2f.txt"
    text = seed.read_text(encoding="utf-8")
    articles.append({"url": "seed/" + seed.name, "title": text.splitlines()[0], "body": text})
    return articles


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z][a-z0-9'-]+", text.lower()) if w not in STOP and len(w) > 2]


def stories(articles: list[dict], threshold: float) -> list[list[int]]:
    docs = [collections.Counter(words(a["title"] * 3 + " " + a["body"][:1500])) for a in articles]
    df = collections.Counter(w for d in docs for w in d)
    vectors = []
    for d in docs:
        v = {w: (1 + math.log(c)) * math.log(len(docs) / df[w]) for w, c in d.items() if df[w] > 1}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vectors.append({w: x / norm for w, x in v.items()})
    parent = list(range(len(articles)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(vectors)):
        for j in range(i + 1, len(vectors)):
            a, b = sorted((vectors[i], vectors[j]), key=len)
            if sum(x * b.get(w, 0.0) for w, x in a.items()) >= threshold:
                parent[root(i)] = root(j)
    for group in LINKED:
        members = [i for i, a in enumerate(articles) if any(k in f" {a['title'].lower()} " for k in group)]
        for i in members[1:]:
            parent[root(i)] = root(members[0])
    grouped: dict[int, list[int]] = collections.defaultdict(list)
    for i in range(len(articles)):
        grouped[root(i)].append(i)
    return list(grouped.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threshold", type=float, default=0.25)
    args = parser.parse_args()
    articles = read_articles()
    original = ROOT / "benchmarks/questions/dev.jsonl"
    gold = {g for line in original.read_text().splitlines() if line.strip() and '"r0' in line
            for g in json.loads(line)["gold_articles"]}
    out = {}
    for members in stories(articles, args.threshold):
        key = min(articles[i]["url"] for i in members)
        digest = hashlib.sha256(key.encode()).hexdigest()
        in_dev = any(articles[i]["url"] in gold for i in members) or int(digest, 16) % 2 == 1
        for i in sorted(members):
            out[articles[i]["url"]] = {"story": "s" + digest[:8], "split": "dev" if in_dev else "test",
                                       "title": articles[i]["title"]}
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
