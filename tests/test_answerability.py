"""Answerability from evidence: the passages must hold the question's focus, and a name or number
must come from a sentence that holds it."""

from __future__ import annotations

from qa.answering.answerability import (
    answer_in_focus,
    best_sentences,
    evidence_holds,
    held_share,
)
from qa.answering.prompt import make_passages
from qa.types import Hit


def _hit(n: int, text: str, title: str = "A title") -> Hit:
    return Hit(n, f"a{n}", 0, 0, len(text), text, 1.0, title, "Reuters", f"https://e.org/{n}", "2023-11-20")


FOCUS = (("runoff", 7.5), ("argentina", 6.0), ("presidenti", 4.0), ("won", 1.5))
UKRAINE = _hit(1, "Analysts said Donald Trump could end support for Ukraine. The war has entered its second winter.")
RUNOFF = _hit(2, "Javier Milei won Argentina's presidential runoff on Sunday with 56% of the vote. Turnout was high.")


def test_evidence_that_misses_the_focus_is_declined() -> None:
    assert not evidence_holds(FOCUS, [UKRAINE], unseen=9.0)
    assert evidence_holds(FOCUS, [UKRAINE, RUNOFF], unseen=9.0)


def test_a_question_about_what_no_article_names_is_declined() -> None:
    # "grindavik" is in no chunk of the index: the corpus does not cover the subject at all
    focus = (("grindavik", 9.0), ("volcano", 5.0), ("erupt", 4.0))
    volcano = _hit(3, "The volcano began to erupt on Monday, officials said.")
    assert not evidence_holds(focus, [volcano], unseen=9.0)
    assert evidence_holds((("volcano", 5.0), ("erupt", 4.0)), [volcano], unseen=9.0)


def test_evidence_must_name_whoever_the_question_asks_to_hear() -> None:
    # "tell me what der spiegel said about the eu ai act deal": the chunks hold the deal, not Der Spiegel
    from qa.answering.understand import name_stems

    focus = (("spiegel", 8.6), ("act", 3.0), ("deal", 3.0), ("eu", 2.5))
    deal = _hit(5, "EU lawmakers reached a deal on the AI Act on Friday, Ursula von der Leyen said.")
    assert evidence_holds(focus, [deal], unseen=9.7)  # the focus alone does not decline it
    assert not evidence_holds(focus, [deal], unseen=9.7, speakers=[name_stems("der spiegel")])
    assert evidence_holds(focus, [deal], unseen=9.7, speakers=[name_stems("Ursula von der Leyen")])


def test_a_paraphrased_question_is_accepted_by_its_rare_words() -> None:
    # "who came out on top in argentina's run-off vote for president": other common words, same rare ones
    focus = (("runoff", 7.5), ("argentina", 6.0), ("presid", 2.0), ("vote", 1.2), ("top", 1.0))
    assert evidence_holds(focus, [RUNOFF], unseen=9.0)


def test_a_question_without_focus_has_nothing_to_miss() -> None:
    assert held_share((), ["anything"]) == 1.0


def test_a_name_must_come_from_a_sentence_holding_the_focus() -> None:
    passages = make_passages("who won argentinas presidential runoff", [UKRAINE, RUNOFF])
    assert answer_in_focus("Javier Milei", FOCUS, passages)
    assert not answer_in_focus("Donald Trump", FOCUS, passages)  # in the passages, but not about the runoff
    assert not answer_in_focus("Sergio Massa", FOCUS, passages)  # in no passage at all


def test_a_multi_hop_answer_is_named_beside_each_part_of_the_question() -> None:
    # "who, accused of fraud at FTX, had a colleague testify about withdrawals?": each article names
    # him beside one part; no single sentence holds half the focus, their pooled windows do
    focus = (("fraud", 5.0), ("ftx", 4.0), ("withdraw", 5.0), ("colleagu", 5.0), ("testifi", 3.0))
    trial = _hit(1, "Sam Bankman-Fried is on trial for fraud at FTX. Jurors heard from prosecutors on Monday.")
    witness = _hit(2, "A colleague testified that Bankman-Fried allowed the withdrawals. Caroline Ellison spoke later.")
    passages = make_passages("who had a colleague testify", [trial, witness])
    assert answer_in_focus("Sam Bankman-Fried", focus, passages)
    # a name of the same passages beside one part only is not the answer the question describes
    assert not answer_in_focus("Caroline Ellison", focus, passages)


def test_best_sentences_are_those_holding_most_focus() -> None:
    passages = make_passages("who won argentinas presidential runoff", [UKRAINE, RUNOFF])
    [(passage, span)] = best_sentences(FOCUS, passages, n=1, threshold=0.5)
    assert passage.sentence(span).startswith("Javier Milei won")


def test_an_answer_is_found_by_its_words_in_a_sentence() -> None:
    from qa.answering.answerability import answer_sentences

    passages = make_passages("q", [RUNOFF])
    assert [i for _, i in answer_sentences("Milei", passages)] == [0]
    assert answer_sentences("56", passages) and not answer_sentences("57", passages)
    assert answer_sentences("Javier Sergio", passages)  # half the words of a longer answer is enough
    assert not answer_sentences("Yes", passages)  # yes/no are judged by their claims, not here


def test_a_longer_answer_must_quote_sentences_that_hold_the_focus() -> None:
    from qa.answering.answerability import quotes_hold_focus
    from qa.answering.cite import Support, Verified
    from qa.answering.markers import Claim

    # "what did pope francis say about blessing same sex couples", answered from an article on
    # Francis Scott Key: the quote is a real sentence, but only "francis" of the focus is in it
    focus = (("bless", 6.0), ("pope", 5.0), ("coupl", 4.0), ("sex", 4.0), ("francis", 3.0))
    anthem = _hit(1, "Francis Scott Key wrote the poem in 1814. It became the anthem.", title="The anthem at 200")
    vatican = _hit(2, "Pope Francis said priests may bless same-sex couples. Conservatives objected.", title="Vatican")
    passages = make_passages("pope francis blessing same sex couples", [anthem, vatican])

    def quoting(passage_index: int) -> Verified:
        passage = passages[passage_index]
        return Verified(Claim("A claim.", (passage.n,)), (Support(passage.n, passage.spans[0], 1.0),), True, False)

    assert not quotes_hold_focus(focus, [quoting(0)], passages)
    assert quotes_hold_focus(focus, [quoting(1)], passages)
    assert quotes_hold_focus(focus, [quoting(0), quoting(1)], passages)  # pooled over the answer's quotes


def test_an_amount_competes_with_amounts_not_with_a_weekday() -> None:
    # "how much did americans spend online on thanksgiving": the sum's own sentence holds little of
    # the focus, "Thursday" sits beside all of it, but a weekday is not an answer to "how much"
    focus = (("thanksgiv", 4.4), ("spend", 3.6), ("american", 3.4), ("onlin", 3.0))
    sales = _hit(1, "Sales online reached $5.6 billion, Adobe said. The figure beat forecasts.", title="Adobe tallies sales")
    holiday = _hit(2, "Americans spend Thanksgiving Thursday with family. Many shop online on Thursday too.")
    passages = make_passages("how much did americans spend online on thanksgiving", [sales, holiday])
    assert answer_in_focus("$5.6 billion", focus, passages)
    # another sum of money beside more of the focus still outranks it
    last_year = _hit(3, "Americans spent $9.9 billion online on Thanksgiving last year, Adobe said.")
    passages = make_passages("how much did americans spend online on thanksgiving", [sales, holiday, last_year])
    assert not answer_in_focus("$5.6 billion", focus, passages)


def test_a_rival_named_in_the_answers_own_sentences_does_not_outrank_it() -> None:
    # "who is the individual accused of fraud, whose colleague testified …": FTX is named in the
    # sentence that names Sam Bankman-Fried, so that sentence is his evidence, not FTX's; FTX
    # competes with what it holds elsewhere (the old rule let it borrow his sentence and withheld him).
    focus = (("fraud", 5.0), ("accus", 4.0), ("colleagu", 5.0), ("testifi", 3.0), ("custom", 4.0))
    trial = _hit(1, "Prosecutors said Sam Bankman-Fried of FTX committed fraud with customer money. "
                    "He was accused of lying to investors.")
    collapse = _hit(2, "FTX collapsed last year. A colleague testified about the collapse.")
    passages = make_passages("who is the individual accused of fraud", [trial, collapse])
    assert answer_in_focus("Sam Bankman-Fried", focus, passages)
    # a name with evidence of its own, away from the answer's sentences, still outranks a weak answer
    other = _hit(3, "Jurors were shown charts on Tuesday. Caroline Ellison, a colleague, testified that customer "
                    "money was taken and admitted fraud. She was accused by prosecutors.")
    passages = make_passages("who is the individual accused of fraud", [_hit(4, "Sam Bankman-Fried was accused."), other])
    assert not answer_in_focus("Sam Bankman-Fried", focus, passages)
