"""Which of a longer answer's verified claims are kept, and how they are labelled: no headline
restated, no claim said twice, an outlet's claim backed by that outlet, a timeline in date order —
and a claim its quotes do not back given in the article's own words when the article says it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from qa.answering.answerability import Focus, best_sentences
from qa.answering.cite import Support, Verified, terms, word_share
from qa.answering.markers import Claim, strip_markers
from qa.answering.prompt import Passage, content_words
from qa.answering.untrusted import is_instruction_like
from qa.retrieval.query import find_outlets, outlet_aliases, outlet_label


def restates_a_title(claim: str, passages: list[Passage]) -> bool:
    """A claim that is a passage's headline ("The FTX trial is bigger than Sam Bankman-Fried"): a
    headline tells what an article is about, not what happened."""
    words = content_words(claim)
    return bool(words) and any(len(words & content_words(p.hit.title)) >= 0.8 * len(words) for p in passages)


def without_repeats(verified: list[Verified]) -> list[Verified]:
    """Claims said once: a sentence the model repeated word for word is kept at its first place."""
    seen: set[str] = set()
    kept = []
    for item in verified:
        key = item.claim.text.lower()
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


RESTATED = 0.8  # a claim this much of whose words another claim holds says nothing new


def without_restatements(verified: list[Verified]) -> list[Verified]:
    """A longer answer's claims minus those another claim already says (most of their content
    words within it): the small model restates a fact, or merges two bullets into a third. Of two
    claims saying the same, the longer (or the first) is kept."""
    words = [content_words(v.claim.text) for v in verified]

    def restated(i: int) -> bool:
        return any(
            j != i and words[i] and len(words[i] & words[j]) >= RESTATED * len(words[i])
            and (len(words[j]) > len(words[i]) or (len(words[j]) == len(words[i]) and j < i))
            for j in range(len(verified))
        )

    return [v for i, v in enumerate(verified) if not restated(i)]


def says_again(item: Verified, said: Sequence[Verified]) -> bool:
    """Does a claim repeat one already said, word for word, or restate it (one holding most of the
    other's content words)? An answer sent as it is written keeps the claim shown first."""
    words = content_words(item.claim.text)
    for other in said:
        known = content_words(other.claim.text)
        if item.claim.text.lower() == other.claim.text.lower():
            return True
        if words and known and len(words & known) >= RESTATED * min(len(words), len(known)):
            return True
    return False


def outlet_checked(verified: list[Verified], passages: list[Passage], outlets: list[str]) -> list[Verified]:
    """In a comparison, a claim labelled with an outlet ("Fortune: …") must be backed by that
    outlet's own article; otherwise it is not supported, whatever other articles say."""
    by_n = {p.n: p for p in passages}
    aliases = outlet_aliases(outlets)
    checked = []
    for item in verified:
        named = set(find_outlets(item.claim.label, aliases)) if item.claim.label else set()
        sources = {by_n[s.n].hit.source for s in item.supports if s.n in by_n}
        if named and not named & sources:
            item = replace(item, supported=False)
        checked.append(item)
    return checked


def dated(verified: list[Verified], passages: list[Passage]) -> list[Verified]:
    """A timeline's claims labelled with the date of the article that supports them (not the date
    the model wrote) and put in date order; undated claims keep their place at the end."""
    by_n = {p.n: p for p in passages}
    labelled = []
    for item in verified:
        day = by_n[item.n].hit.published_at[:10] if item.n in by_n else ""
        claim = replace(item.claim, label=day or item.claim.label, bullet=True, newline=True)
        labelled.append(replace(item, claim=claim))
    ordered = sorted(labelled, key=lambda v: v.claim.label if re.fullmatch(r"\d{4}-\d\d-\d\d", v.claim.label) else "9999")
    return [replace(v, claim=replace(v.claim, newline=i > 0)) for i, v in enumerate(ordered)]


QUOTE_SHARE = 0.3  # the article sentence given instead of a claim holds this share of the claim's words
# A sentence that opens on a pronoun or a link word leans on the one before: it cannot stand alone.
_LEANS_BACK = re.compile(
    r"^[\"'“‘(]?(?:he|she|they|it|its|his|her|their|them|this|that|these|those|there|here|but|and|or|also|"
    r"however|yet|so|then|still|meanwhile|instead|such|both|which|who)\b",
    re.IGNORECASE,
)

_ENDS = re.compile(r"[.!?][\"'”’)]*$")  # a sentence, not a heading or a caption fragment
_SPOKEN = re.compile(r"^[\"“‘']|\b(?:I|I'm|I've|we|We|my|My|our|Our|us)\b")  # a speaker's own words need their speaker


def stands_alone(sentence: str) -> bool:
    """Can an article sentence be read as a claim on its own? 6-60 words ending in a full stop, no
    leading pronoun or link word, not a speaker's first-person words, nothing addressed to the model."""
    return (
        6 <= len(sentence.split()) <= 60 and bool(_ENDS.search(sentence)) and not _LEANS_BACK.match(sentence)
        and not _SPOKEN.search(sentence) and not is_instruction_like(sentence)
    )


def quoted_instead(item: Verified, passages: list[Passage], question: str) -> Verified:
    """A longer answer's claim that its quotes do not back (or a headline it restated), given in the
    words of the article sentence it was drawn from: the model chose what to say, the article says
    it. Only a sentence that `stands_alone`, holds `QUOTE_SHARE` of the claim's words and one of the
    question's and is not itself a headline; otherwise the claim is returned as it was."""
    by_n = {p.n: p for p in passages}
    support = item.supports[0] if item.supports else None
    if support is None or support.n not in by_n:
        return item
    sentence = " ".join(strip_markers(by_n[support.n].sentence(support.span)).split())
    if not stands_alone(sentence) or word_share(item.claim.text, sentence) < QUOTE_SHARE:
        return item
    if not content_words(question) & content_words(sentence) or restates_a_title(sentence, passages):
        return item
    claim = replace(item.claim, text=sentence, cited=(support.n,))
    return Verified(claim, (Support(support.n, support.span, 1.0),), True, False, verbatim=True)


MIN_RELEVANCE = 0.35  # cosine between the question and a sentence added to complete an answer
STRONG_RELEVANCE = 0.5  # closer than this, a sentence need not name what the question names
REDUNDANCY = 0.3  # MMR: how much closeness to what the answer already says counts against a sentence


def completed(
    verified: list[Verified], passages: list[Passage], question: str, want: int,
    encode: Callable[[list[str]], np.ndarray], outlets: Sequence[str] = (), names: Sequence[str] = (),
) -> list[Verified]:
    """A longer answer with fewer than `want` claims, completed with its passages' own sentences
    (those the model read): verbatim, cited, labelled with their outlet. Chosen by maximal marginal
    relevance (close to the question, unlike what the answer already says); each stands alone,
    restates no claim, and is either very close to the question (`STRONG_RELEVANCE`) or names what
    it names (`names`: both of one or two, half of more — "Blinken visited Beijing" does not answer
    what Blinken urged Aliyev to do). Each outlet in `outlets` (the sides of a comparison) with no
    claim yet gets its best sentence first. Only an answer with a supported claim of its own is
    completed: a reply the passages do not back stays withheld, not rebuilt from them."""
    if want <= len(verified) or not any(v.supported for v in verified):
        return verified
    used = {(s.n, s.span) for v in verified for s in v.supports}
    said = [content_words(v.claim.text) for v in verified]
    pool = []
    for passage in passages:
        for span in passage.spans:
            sentence = " ".join(strip_markers(passage.sentence(span)).split())
            words = content_words(sentence)
            if (passage.n, span) in used or not stands_alone(sentence) or restates_a_title(sentence, [passage]):
                continue
            if any(w and len(words & w) >= RESTATED * min(len(words), len(w)) for w in said):
                continue  # the answer says it already
            pool.append((passage, span, sentence))
    if not pool:
        return verified
    vectors = encode([question, *(v.claim.text for v in verified), *(text for _, _, text in pool)])
    asked, claimed, candidates = vectors[0], vectors[1 : 1 + len(verified)], vectors[1 + len(verified) :]
    relevance = candidates @ asked
    need = len(names) if len(names) <= 2 else (len(names) + 1) // 2
    naming = [sum(terms(n)[0] <= terms(text)[0] for n in names) >= need for _, _, text in pool]
    on_topic = [r >= STRONG_RELEVANCE or (r >= MIN_RELEVANCE and named) for r, named in zip(relevance, naming)]
    chosen: list[int] = []
    covered_outlets = {passage_outlet(v, passages) for v in verified}
    sides = [o for o in outlets if o not in covered_outlets]
    while len(verified) + len(chosen) < want:
        taken = np.vstack([claimed, candidates[chosen]]) if chosen else claimed
        open_ = [i for i in range(len(pool)) if i not in chosen and on_topic[i]]
        if sides:
            open_ = [i for i in open_ if pool[i][0].hit.source == sides[0]] or open_
            sides = sides[1:]
        if not open_:
            break
        score = lambda i: (1 - REDUNDANCY) * relevance[i] - REDUNDANCY * float((taken @ candidates[i]).max())  # noqa: E731
        chosen.append(max(open_, key=score))
    listed = any(v.claim.bullet for v in verified)  # a list gets labelled bullets, prose more sentences
    added = []
    for i in chosen:
        passage, span, sentence = pool[i]
        label = outlet_label(passage.hit.source) if listed else ""
        claim = Claim(sentence, (passage.n,), bullet=listed, label=label, newline=listed)
        added.append(Verified(claim, (Support(passage.n, span, 1.0),), True, False, verbatim=True))
    return verified + added


def passage_outlet(item: Verified, passages: list[Passage]) -> str:
    """The outlet of the passage a claim is credited to first ("" when none)."""
    return next((p.hit.source for p in passages if p.n == item.n), "")


def quoted_evidence(focus: Focus, passages: list[Passage], n: int = 3) -> list[Verified]:
    """The passage sentences that hold most of the question's focus, as verbatim claims labelled
    with their outlet: the evidence itself, when the model's reply gave nothing that stands."""
    out = []
    for passage, span in best_sentences(focus, passages, n):
        sentence = " ".join(strip_markers(passage.sentence(span)).split())
        claim = Claim(sentence, (passage.n,), bullet=True, label=outlet_label(passage.hit.source), newline=bool(out))
        out.append(Verified(claim, (Support(passage.n, span, 1.0),), True, False, verbatim=True))
    return out


def grouped_by_outlet(verified: list[Verified], passages: list[Passage], sides: Sequence[Sequence[str]]) -> tuple[list[Verified], list[str]]:
    """A comparison's claims as bullets grouped under the outlet whose article supports each (its
    real name, never the model's "Outlet:"), the sides the question names first and in its order;
    and the labels of named sides with nothing on the topic, for the answer to say so."""
    by_n = {p.n: p for p in passages}
    order = [outlet for side in sides for outlet in side]

    def rank(item: Verified) -> int:
        source = by_n[item.n].hit.source if item.n in by_n else ""
        return order.index(source) if source in order else len(order)

    grouped = []
    for i, item in enumerate(sorted(verified, key=rank)):
        source = by_n[item.n].hit.source if item.n in by_n else ""
        label = "" if item.verbatim else outlet_label(source) if source else item.claim.label
        grouped.append(replace(item, claim=replace(item.claim, label=label, bullet=True, newline=i > 0)))
    covered = {by_n[v.n].hit.source for v in verified if v.n in by_n}
    silent = [outlet_label(side[0]) for side in sides if side and not covered & set(side)]
    return grouped, silent
