"""Pure metric functions for `qa eval`: retrieval hits, answer scores, abstention, summary statistics.

Retrieval metrics follow the MultiHop-RAG benchmark's own script, `retrieval_evaluate.py` in
github.com/yixuantt/MultiHop-RAG (function `calculate_metrics`, read at commits 5fc39838 and 33d3ad09):

- A retrieved chunk is a *hit* when some gold fact, with spaces and newlines removed, is a substring
  of the chunk text with spaces and newlines removed (case-sensitive, as upstream). We also remove
  tabs and carriage returns; that can only add matches, and the shipped corpus and facts contain
  neither, so scores are unchanged.
- Hits@k: 1 when any of the top k chunks is a hit.
- MRR@k: 1 / rank of the first hit within the top k, 0 when there is none.
- MAP@k is *not* the textbook average precision. Upstream, a hit at rank r adds
  (number of gold facts first found in that chunk) / r, and the sum is divided by
  min(number of gold facts, k). A chunk repeating an already-found fact adds 0, and a chunk holding
  two new facts adds 2 / r. Hits at ranks 2 and 4 holding one distinct fact each, with 2 gold facts,
  give (1/2 + 1/4) / 2 = 0.375 where textbook AP gives (1/2 + 2/4) / 2 = 0.5.
- Each function scores one query; the benchmark's figure is `mean` over the answerable queries
  (upstream skips null queries, which have no gold facts; here an empty fact list is a ValueError).

Answer metrics:

- `is_lenient_correct` is the rule of upstream `qa_evaluate.py`: lower-case both strings, split on
  whitespace, correct when the two word sets intersect. Punctuation stays attached, so "Yes." does
  not match "yes". Upstream first reduces a model answer to X when it contains
  `The answer to the question is "X"`, and so do we.
- `exact_match` and `token_f1` are SQuAD's, on `normalize_answer`, with two documented extensions
  to exact match for answers that lead with a short direct answer (see `exact_match`).
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter

from qa.answering.abstention import is_abstention

_REMOVED_FROM_FACTS = str.maketrans("", "", " \n\t\r")
_UPSTREAM_ANSWER_TEMPLATE = re.compile(r'The answer to the question is "(.*?)"')
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans("", "", string.punctuation)
# A clause ends at ".", ";" or "," followed by whitespace or the end, so "3.5" and "1,000" stay whole.
_CLAUSE_END = re.compile(r"[.;,](?=\s|$)")


def normalize_fact(text: str) -> str:
    """Remove spaces, newlines, tabs and carriage returns (upstream removes the first two only)."""
    return text.translate(_REMOVED_FROM_FACTS)


def chunk_hits(chunk_texts: list[str], facts: list[str]) -> list[bool]:
    """For each chunk, whether some gold fact occurs in it once whitespace is removed from both."""
    needles = _normalized_facts(facts)
    return [any(needle in normalize_fact(chunk) for needle in needles) for chunk in chunk_texts]


def hits_at_k(chunk_texts: list[str], facts: list[str], k: int) -> float:
    """1.0 when any of the top `k` chunks holds a gold fact, else 0.0 (upstream Hits@k)."""
    _check_k(k)
    return float(any(chunk_hits(chunk_texts[:k], facts)))


def reciprocal_rank_at_k(chunk_texts: list[str], facts: list[str], k: int = 10) -> float:
    """1 / rank of the first top-`k` chunk holding a gold fact, 0.0 if none; MRR@k is their mean."""
    _check_k(k)
    for rank, is_hit in enumerate(chunk_hits(chunk_texts[:k], facts), start=1):
        if is_hit:
            return 1 / rank
    return 0.0


def average_precision_at_k(chunk_texts: list[str], facts: list[str], k: int = 10) -> float:
    """Upstream's per-query AP: sum of (facts first found at rank r) / r, over min(len(facts), k).

    MAP@k is the mean of this over queries. See the module docstring for how it differs from
    textbook average precision.
    """
    _check_k(k)
    needles = _normalized_facts(facts)
    found: set[str] = set()
    total = 0.0
    for rank, chunk in enumerate(chunk_texts[:k], start=1):
        haystack = normalize_fact(chunk)
        newly_found = {needle for needle in needles if needle in haystack} - found
        found |= newly_found
        total += len(newly_found) / rank
    return total / min(len(facts), k)


def recall_articles_at_k(retrieved_article_ids: list[str], gold_article_ids: set[str], k: int) -> float:
    """Share of the distinct gold articles that appear among the first `k` retrieved ids.

    `k` counts positions in the list: pass one id per retrieved chunk for "articles reached by the
    top-k chunks", or a de-duplicated list for "among the top-k articles".
    """
    _check_k(k)
    if not gold_article_ids:
        raise ValueError("no gold articles: skip null queries, as the benchmark does")
    return len(set(retrieved_article_ids[:k]) & gold_article_ids) / len(gold_article_ids)


def is_lenient_correct(prediction: str, gold: str) -> bool:
    """The benchmark's lenient rule: the lower-cased, whitespace-split word sets intersect."""
    templated = _UPSTREAM_ANSWER_TEMPLATE.search(prediction)
    if templated:
        prediction = templated.group(1)
    return bool(set(prediction.lower().split()) & set(gold.lower().split()))


def normalize_answer(s: str) -> str:
    """SQuAD normalisation: lower-case, drop ASCII punctuation and a/an/the, collapse whitespace."""
    without_punctuation = s.lower().translate(_PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", without_punctuation).split())


def exact_match(prediction: str, gold: str) -> float:
    """SQuAD exact match, extended for answers that lead with a short direct answer.

    1.0 when the normalised gold equals the normalised prediction or its first clause (the text
    before the first ".", ";" or "," that is followed by whitespace or the end). A "yes"/"no" gold
    also matches the first word of the normalised prediction ("Yes it did" matches "Yes"), but never
    an abstention ("No information is given" does not match "No").
    """
    expected = normalize_answer(gold)
    if expected in ("yes", "no") and is_abstention(prediction):
        return 0.0
    answered = normalize_answer(prediction)
    first_clause = normalize_answer(_CLAUSE_END.split(prediction, maxsplit=1)[0])
    if expected in (answered, first_clause):
        return 1.0
    return float(expected in ("yes", "no") and answered.split()[:1] == [expected])


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 between the normalised answers; 1.0 when both are empty, 0.0 when one is."""
    predicted_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    if not predicted_tokens or not gold_tokens:
        return float(predicted_tokens == gold_tokens)
    shared = sum((Counter(predicted_tokens) & Counter(gold_tokens)).values())
    if shared == 0:
        return 0.0
    precision = shared / len(predicted_tokens)
    recall = shared / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def percentile(values: list[float], q: float) -> float:
    """The `q`-th percentile (0-100) by linear interpolation, as numpy's default; nan when empty.

    nan rather than 0.0 so that "no measurements" cannot pass for "instant".
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be between 0 and 100, got {q}")
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def mean(values: list[float]) -> float:
    """Arithmetic mean; 0.0 for no values."""
    return sum(values) / len(values) if values else 0.0


def _normalized_facts(facts: list[str]) -> list[str]:
    if not facts:
        raise ValueError("no gold facts: skip null queries, as the benchmark does")
    needles = [normalize_fact(fact) for fact in facts]
    if not all(needles):
        # An empty needle is a substring of every chunk and would make every chunk a hit.
        raise ValueError("a gold fact is empty once whitespace is removed")
    return needles


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")


def key_fact_recall(answer: str, key_facts: list[list[str]], question: str = "") -> float:
    """Share of the key facts an answer states: a fact counts when, for one of its phrasings, every
    content word (lower case, stop words dropped, a plural "s" ignored) occurs in the answer. A
    phrasing made only of the `question`'s own words gives no credit: repeating the question is
    not stating a fact."""
    from qa.answering.prompt import content_words

    if not key_facts:
        raise ValueError("key_fact_recall needs at least one key fact")
    said, asked = content_words(answer), content_words(question)
    found = sum(
        any(content_words(p) and content_words(p) <= said and not content_words(p) <= asked for p in phrasings)
        for phrasings in key_facts
    )
    return found / len(key_facts)


_CAPITALISED = re.compile(r"\b[A-Z][a-z]+")


def names_or_numbers(text: str) -> set[str]:
    """The digits-bearing words and capitalised words of a short answer, lower-cased ("Javier Milei",
    "56%"): what makes it a name or a number."""
    words = {w.lower() for w in re.findall(r"\S*\d\S*", text)} | {w.lower() for w in _CAPITALISED.findall(text)}
    return {w.strip(".,;:%$") for w in words} - {"yes", "no", "the", "a", "an"}


# Words of a typed question that ask rather than say what it is about ("can you tell me who …").
_CHAT_WORDS = frozenset(
    "can could would you your tell know give show please pls plz any idea whats what's who whose many much "
    "did does do was were has have had get got just actually really like also there their they them".split()
)


def is_unfounded(short_answer: str, question: str, quotes: list[str]) -> bool:
    """A name or number answer that no quoted sentence both states and ties to the question: some
    quote must hold the answer's names/numbers and half of the question's words (its content words
    of three letters or more, minus chat words). Judged only from the answer's returned quotes,
    independently of how the answerer checked it."""
    from qa.answering.prompt import content_words

    wanted = names_or_numbers(short_answer)
    if not wanted:
        return False
    asked = {w for w in content_words(question) if len(w) > 2} - _CHAT_WORDS
    for quote in quotes:
        lowered = quote.lower()
        if all(w in lowered for w in wanted) and len(asked & content_words(quote)) * 2 >= len(asked):
            return False
    return True
