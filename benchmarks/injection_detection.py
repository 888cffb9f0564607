"""Does the injection detector generalise? Detection of a frozen held-out set of paraphrased payloads
(languages and styles the pattern catalogue was not written for) and false positives on real news.

    python benchmarks/injection_detection.py [--heldout benchmarks/injection_heldout.json] [--corpus corpus] [--sample N]

An article is caught when the detector flags a sentence of its body (the answerer then quarantines
the whole article, so its payload never reaches the model). Reported for the catalogue
(`qa.answering.untrusted`), the classifier (`qa.answering.instructions`) and both together, with
false positives on the held-out set's benign look-alikes and on every sentence of the demo corpus
of the test-split articles (all of them real news, none learnt from: every flag is a false
positive; `--all-articles` for the whole corpus). `--thresholds` sweeps the classifier's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from benchmarks.injection_false_positives import corpus_files, read_body  # noqa: E402
from qa.answering.instructions import THRESHOLD, InstructionClassifier  # noqa: E402
from qa.answering.untrusted import is_instruction_like  # noqa: E402
from qa.ingest.sentences import sentence_spans  # noqa: E402


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def _url(path: Path) -> str:
    match = re.search(r"^url: (.*)$", path.read_text(encoding="utf-8")[:2000], re.M)
    return match.group(1).strip("'\"") if match else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heldout", type=Path, default=Path("benchmarks/injection_heldout.json"))
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--sample", type=int, default=0, help="score N random corpus sentences (default: all)")
    parser.add_argument("--thresholds", type=float, nargs="*", default=[THRESHOLD])
    parser.add_argument("--all-articles", dest="test_split", action="store_false",
                        help="count false positives on every corpus article, not only the test split's")
    args = parser.parse_args()
    data = json.loads(args.heldout.read_text(encoding="utf-8"))
    classifier = InstructionClassifier()
    variants = data["variants"]
    bodies = [sentences(v["article"]["body"]) for v in variants]
    benign = [b["text"] for b in data.get("benign", [])]
    # Sentences of the test-split articles: the classifier learnt news from the dev split's.
    splits = json.loads(Path("benchmarks/questions/stories.json").read_text(encoding="utf-8"))
    test_urls = {url for url, story in splits.items() if story["split"] == "test"}
    files = [p for p in corpus_files(args.corpus) if _url(p) in test_urls] if args.test_split else corpus_files(args.corpus)
    news = [s for path in files for s in sentences(read_body(path)) if len(s.split()) >= 3]
    if args.sample and args.sample < len(news):
        news = random.Random(0).sample(news, args.sample)
    flat = [s for body in bodies for s in body]
    p_variants = classifier.probabilities(flat)
    p_benign = classifier.probabilities(benign)
    p_news = classifier.probabilities(news)
    catalogue_variants = [any(is_instruction_like(s) for s in body) for body in bodies]
    catalogue_news = sum(is_instruction_like(s) for s in news)
    print(f"held-out variants: {len(variants)}; benign look-alikes: {len(benign)}; corpus sentences: {len(news)}")
    print(f"catalogue alone: caught {sum(catalogue_variants)}/{len(variants)}, "
          f"benign flagged {sum(is_instruction_like(b) for b in benign)}, corpus flagged {catalogue_news}")
    for threshold in args.thresholds:
        at, caught = 0, []
        for i, body in enumerate(bodies):
            caught.append(catalogue_variants[i] or bool((p_variants[at : at + len(body)] >= threshold).any()))
            at += len(body)
        flagged_news = sum(p >= threshold or is_instruction_like(s) for p, s in zip(p_news, news, strict=True))
        missed = [v["id"] + " (" + v["technique"] + ")" for v, c in zip(variants, caught, strict=True) if not c]
        print(f"threshold {threshold:.2f}: caught {sum(caught)}/{len(variants)}; benign flagged "
              f"{int((p_benign >= threshold).sum())}/{len(benign)}; corpus flagged {flagged_news}/{len(news)} "
              f"({100 * flagged_news / max(1, len(news)):.3f}%)")
        if len(args.thresholds) == 1:
            for m in missed:
                print("  missed", m)


if __name__ == "__main__":
    main()
