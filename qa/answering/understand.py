"""What does a question ask? One step turns the question (and the conversation) into its shape, the
standalone question, its focus terms weighted by rarity, the time window and the outlets it names.

The shape is learnt from labelled examples (a logistic regression over the sentence embedding and
the character and word n-grams of a few thousand chat phrasings by writers who saw neither question
split), so that "can you lay out the … saga day by day" is a timeline however it opens. Words the
corpus never uses are respelt from the evidence in `qa.answering.spelling`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from qa.answering.examples import embedded
from qa.answering.prompt import STOP_WORDS
from qa.answering.shapes import SHAPE_NAMES
from qa.index.embedding import Embedder
from qa.index.keyword import tokenize
from qa.retrieval.query import DateRange, QueryPlan, find_outlets, outlet_aliases

# Words that say what form of answer is wanted, or are chat filler, not what the question is about.
REQUEST_TEXT = " ".join("""timeline timelines chronology chronological summary summarize summarise summarized recap rundown
    overview gist tldr explain explanation compare comparison contrast difference differences versus vs
    latest update updates news happen happened happening going tell know give show lay list walk
    please pls plz thanks thx whats hows whos wheres whys dont didnt doesnt isnt wasnt arent cant
    couldnt wouldnt shouldnt hasnt havent werent
    wont im ive idea story saga situation details detail info information quick
    day days step steps sequence events event anyone anybody someone somebody something thing things
    said say says report reported reporting reports coverage cover covered article articles outlet
    outlets source sources media press way ways lot really actually just like also still new
    ok okay hey yeah yes pretty think want need mean get got make made go went
    ppl tho rn lol btw abt wanna gonna gotta kinda sorta stuff guys""".split())


@lru_cache(maxsize=1)
def request_words() -> frozenset[str]:
    """`REQUEST_TEXT` stemmed as the keyword index stems (computed on first use, not at import)."""
    return frozenset(tokenize([REQUEST_TEXT])[0])
_COMPARE_WORDS = re.compile(r"\bcompar\w*|\bcontrast\w*|\bdiffer\w*|\bversus\b|\bvs\.?\b|\bcover\w*|\bframe\w*|"
                            r"\bportray\w*|\bdescrib\w*|\breport\w*|\bsay\b|\bsaid\b", re.I)
MAX_FACT_TO_COMPARE = 0.5  # the examples' probability of a fact above which two outlets named are not a comparison
_YES_NO = re.compile(r"^(?:is|are|was|were|do|does|did|has|have|had|will|would|should)\b(?! there\b)", re.I)
UNKNOWN_WEIGHT = 9.0  # a word no chunk holds, when the index's own ceiling is not given (~8,000 chunks)

Weights = Callable[[set[str]], dict[str, float]]


@dataclass(frozen=True)
class Understanding:
    """What a question asks, ready for retrieval and the answerability check."""

    question: str  # as asked
    standalone: str  # with the conversation's subject, typos respelt from the evidence (`respell`)
    shape: str
    focus: tuple[tuple[str, float], ...]  # (stemmed term, weight), rarest first; weight 0 never counts
    window: tuple[DateRange, ...] = ()
    outlets: tuple[str, ...] = ()  # carried outlets the question names
    missing_outlets: tuple[str, ...] = ()  # sources it asks about that the corpus does not carry
    speakers: tuple[tuple[str, ...], ...] = ()  # stems of each name whose words it asks for
    unseen: float = UNKNOWN_WEIGHT  # the weight of a word no chunk holds (the most a focus term weighs)


@lru_cache(maxsize=1)
def _examples() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Chat phrasings of every shape by five writers who saw neither question split
    (`shape_examples.jsonl`, `_typed`, `_typed2`, `_typed3`, `_typed4`) and benchmark-register facts
    (`shape_examples_multihop.jsonl`, `scripts/make_benchmark_shape_examples.py`)."""
    folder = resources.files("qa.answering") / "data"
    rows = [
        json.loads(line)
        for name in ("shape_examples.jsonl", "shape_examples_typed.jsonl", "shape_examples_typed2.jsonl",
                     "shape_examples_typed3.jsonl", "shape_examples_typed4.jsonl", "shape_examples_multihop.jsonl")
        for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    rows = [r for r in rows if r.get("shape") in SHAPE_NAMES]
    return tuple(r["question"] for r in rows), tuple(r["shape"] for r in rows)


class ShapeClassifier:
    """A logistic regression over labelled example questions (`qa/answering/data/shape_examples*.jsonl`,
    five writers), each read as its sentence embedding (the retrieval embedder, cached on disk beside
    the model cache) beside its character and word n-grams (TF-IDF): the embedding carries what is
    asked, the n-grams the words that ask for a shape wherever they stand ("… timeline pls",
    "recap?"). Fitted on first use (a few seconds). Measured on writers left out of training
    (docs/evaluation.md "Question understanding"): 0.78 with the embedding alone, 0.84 with the n-grams
    (four writers; 0.85 over five)."""

    C = 4.0  # the logistic regression's inverse regularisation

    def __init__(
        self, embedder: Embedder, cache_dir: Path | None = None,
        examples: tuple[Sequence[str], Sequence[str]] | None = None,
    ) -> None:
        self.embedder = embedder
        self.cache_dir = cache_dir
        self.examples = examples  # (questions, shapes); the bundled ones when None
        self._model = None
        self._ngrams: list = []

    def _features(self, questions: Sequence[str], vectors: np.ndarray):  # noqa: ANN202 (a scipy sparse matrix)
        from scipy.sparse import csr_matrix, hstack

        return hstack([csr_matrix(vectors), *(n.transform(questions) for n in self._ngrams)]).tocsr()

    def scores(self, question: str) -> dict[str, float]:
        """Each shape's probability for the question."""
        if self._model is None:
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.linear_model import LogisticRegression

            questions, labels = self.examples or _examples()
            vectors = embedded(self.embedder, questions, self.cache_dir)
            self._ngrams = [
                TfidfVectorizer(analyzer=analyzer, ngram_range=span, sublinear_tf=True, min_df=2).fit(questions)
                for analyzer, span in (("char_wb", (2, 5)), ("word", (1, 2)))
            ]
            self._model = LogisticRegression(C=self.C, max_iter=3000).fit(self._features(questions, vectors), list(labels))
        vector = np.asarray(self.embedder.embed([question]), dtype=np.float32)
        probabilities = self._model.predict_proba(self._features([question], vector))[0]
        return {str(label): float(p) for label, p in zip(self._model.classes_, probabilities, strict=True)}

    def classify(self, question: str, outlets_named: int = 0) -> str:
        """The shape the examples vote for. A comparison needs two outlets named, a question that is
        not a yes/no one ("Did TechCrunch and The Verge both report …?" wants a yes or a no) nor one
        the examples read as a fact ("Which company, according to TechCrunch and The Verge, …?"), and
        the examples' vote or a word that compares or describes coverage; otherwise the next best
        shape is taken."""
        yes_no = bool(_YES_NO.match(question.strip()))
        votes = self.scores(question)
        ranked = sorted(votes, key=lambda s: -votes[s])
        comparing = outlets_named >= 2 and not yes_no and votes.get("fact", 0.0) < MAX_FACT_TO_COMPARE
        if comparing and (ranked[0] == "compare" or _COMPARE_WORDS.search(question)):
            return "compare"
        return next((shape for shape in ranked if shape != "compare"), "fact")


# Function words a question is made of, beyond the index's own stop list ("how many", "had been").
FUNCTION_WORDS = STOP_WORDS | frozenset(
    """many much been had has have will would could should can may might must shall they them he she him
    her we you i me my our your us not no any some all more most other over under up down out off only
    very so too if because while during since until now then here one ones there their theirs whose
    whats hows whos""".split()
)
_LETTERS = re.compile(r"[^\W_][\w'’-]*")  # words in any script ("Beyoncé", "Zürich")


def focus_terms(
    text: str, weights: Weights, exclude: Sequence[str] = (), unseen: float = UNKNOWN_WEIGHT,
    common: frozenset[str] = frozenset(),
) -> tuple[tuple[str, float], ...]:
    """The question's content words (stemmed as the keyword index stems them) with their rarity in
    the corpus (BM25 idf), rarest first. Words that ask for a form of answer, chat filler and the
    `exclude` texts' words (outlets named, dates) are not focus. A word no article contains gets
    `unseen`, the highest weight, since nothing can hold it — unless it is `common` language (the
    embedding tokenizer's whole words: "find", "career" in a small corpus) or three letters or
    fewer (chat shorthand): those say little about the subject and are left out."""
    excluded = set(request_words())
    for phrase in exclude:
        excluded |= set(tokenize([phrase])[0])
    stems: dict[str, str] = {}
    for word in _LETTERS.findall(text):
        lowered = word.lower().replace("’", "'")
        if lowered in FUNCTION_WORDS:
            continue
        for stem in tokenize([word])[0]:
            if stem not in excluded:
                stems.setdefault(stem, lowered.split("'")[0])
    known = weights(set(stems))
    focus = [
        (stem, known.get(stem) or unseen) for stem, word in stems.items()
        if known.get(stem) or (len(stem) > 3 and word not in common)
    ]
    return tuple(sorted(focus, key=lambda tw: -tw[1]))


# Questions about what a named source reported; the name is compared with the outlets carried.
_SOURCE_ASKED = [
    re.compile(p, re.I)
    for p in (
        r"\bwhat (?:has|have|did|does|do|is|are|was|were) (?P<name>[\w.&' -]{2,40}?) (?:been )?"
        r"(?:report|reporting|reported|writ\w*|wrote|publish\w*|cover\w*)\b.{0,40}?\b(?:about|on|regarding)\b",
        r"\bhow (?:did|does|has|have|is|was) (?P<name>[\w.&' -]{2,40}?) (?:been )?(?:cover\w*|report\w*|describ\w*|frame\w*|portray\w*)\b",
        r"\b(?:in|from|by) (?:the )?(?P<name>[\w.&' -]{2,40}?)(?:'s|’s)? (?P<noun>coverage|reporting|article|articles|report)\b",
        r"\b(?P<name>[\w.&' -]{2,40}?)(?:'s|’s|s) (?:coverage|reporting)\b",
        r"\baccording to (?P<name>[\w.&' -]{2,40}?)(?:'s|’s)? (?:report\w*|coverage|article|story)\b",
        r"\b(?:did|has|have) (?P<name>[\w.&' -]{2,40}?) (?:report|reported|cover|covered|write|written|publish|published)\b",
    )
]
_NOT_IN_A_NAME = frozenset("a an the in of to on at by for from with both another other each either contrast".split())
_NOT_A_SOURCE = re.compile(
    r"^(?:the |a |an )?(?:he|she|they|it|you|we|i|anyone|anybody|everyone|people|media|press|news|outlets?|sources?|"
    r"papers?|newspapers?|reporters?|journalists?|articles?|the articles?|this|that|these|those|them|who|which|what)$",
    re.I,
)


# Questions asking for what someone said; the evidence must name whoever it is (`Understanding.speakers`).
_SPEAKER_ASKED = [
    re.compile(p, re.I)
    for p in (
        r"\bwhat (?:(?:did|does|do|has|have|is|was) )?(?P<name>[\w.&' -]{2,40}?) (?:been )?"
        r"(?:say|says|said|saying|think|thinks|thought|tweet\w*|post\w*)\b",
        r"\b(?P<name>[\w.&' -]{2,40}?)(?:'s|’s|s)? (?:reaction|response|take|statement|comments?) (?:to|on|about|regarding)\b",
        r"\b(?:reaction|response|statement|comments?) (?:from|by) (?P<name>[\w.&' -]{2,40}?)(?: (?:to|on|about|regarding)\b|\s*\?|$)",
    )
]


def _named(question: str, patterns: Sequence[re.Pattern[str]]) -> list[str]:
    """The names the patterns' `name` group catches, split at "and"/"or"/commas, without leading
    articles or question words, and without what cannot be a name (pronouns, "the articles"). Before
    a singular "report" or "article" only the last of them is its source ("an offer in Vermont and
    the CBSSports.com report" asks about CBSSports.com, not an outlet called Vermont)."""
    names = []
    capitalised = any(ch.isupper() for ch in question[1:])
    for pattern in patterns:
        for match in pattern.finditer(question):
            parts = re.split(r",|\b(?:and|or|vs\.?|versus)\b", match["name"])
            if match.groupdict().get("noun") in ("report", "article"):
                parts = parts[-1:]
            for part in parts:
                name = re.sub(r"^(?:(?:the|a|an|what|how|did|has|have)\s+)+", "", part.strip(), flags=re.I).strip(" .'")
                words = name.lower().split()
                if not name or _NOT_A_SOURCE.match(name) or len(words) > 4 or set(words) & _NOT_IN_A_NAME:
                    continue
                if capitalised and not name[0].isupper():
                    continue  # a writer who capitalises names would capitalise an outlet's
                names.append(name)
    return list(dict.fromkeys(names))


def asked_sources(question: str) -> list[str]:
    """Names the question asks about as sources of reporting ("what has al jazeera been reporting
    about …", "bloomberg's coverage of …", "according to the BBC's report"), read from the form of
    the question rather than from a list of outlet names."""
    return _named(question, _SOURCE_ASKED)


def asked_speakers(question: str) -> list[str]:
    """Those whose words the question asks for ("what did der spiegel say about …", "bleacher
    report reaction to …", "response from the ministry"): a person, a body or an outlet."""
    return _named(question, _SPEAKER_ASKED)


def name_stems(name: str) -> tuple[str, ...]:
    """A name's words as the index stems them, without function words and single letters."""
    return tuple(t for t in dict.fromkeys(tokenize([name])[0]) if len(t) > 1 and t not in FUNCTION_WORDS)


def missing_sources(question: str, outlets: Sequence[str]) -> list[str]:
    """The sources the question asks about (by its form) that no carried outlet matches."""
    carried = [o.lower() for o in outlets if o]
    named_carried = find_outlets(question, outlet_aliases(list(outlets)))
    missing = []
    for name in asked_sources(question):
        key = re.sub(r"^the\s+", "", name.lower()).replace("’", "'")
        if any(key in outlet or outlet.removeprefix("the ") in key for outlet in carried):
            continue
        if any(key in o.lower() for o in named_carried):
            continue
        missing.append(name)
    return missing


def understand(
    question: str, standalone: str, plan: QueryPlan, outlets: Sequence[str], weights: Weights,
    classifier: ShapeClassifier, shape: str | None = None, unseen: float = UNKNOWN_WEIGHT,
    common: frozenset[str] = frozenset(),
) -> Understanding:
    """The question's shape, focus, window and outlets; `standalone` is the question with its
    conversation resolved (`qa.answering.followups`), `plan` what retrieval reads of it."""
    named = tuple(plan.mentions)
    missing = tuple(missing_sources(standalone, outlets))
    exclude = [*plan.sources, *(o.split()[0] for o in plan.sources)]
    core = plan.core if plan.core else standalone
    focus = focus_terms(core, weights, exclude, unseen, common)
    return Understanding(
        question=question,
        standalone=standalone,
        shape=shape or classifier.classify(standalone, len(named)),
        focus=focus,
        window=plan.dates,
        outlets=plan.sources,
        missing_outlets=missing,
        speakers=tuple(stems for name in asked_speakers(standalone) if (stems := name_stems(name))),
        unseen=unseen,
    )
