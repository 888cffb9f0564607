"""The evaluator's claim judge: each rule with a case it rejects that the earlier judge (pooled
content words: 60% of the claim's words and half of its said-of words, over all quotes together)
accepted."""

from qa.evaluation.judge import judge_claim

TWO_FACTS = "Azerbaijan began an operation on Tuesday and 27 people were killed."


def test_a_claim_split_over_quotes_that_each_say_their_part_is_supported() -> None:
    verdict = judge_claim(TWO_FACTS, ["Azerbaijan began an operation on Tuesday.", "At least 27 people have been killed."])
    assert verdict.supported and verdict.reason == ""
    assert verdict.coverage == (0.571, 0.429)  # share of the claim's content words in each quote


def test_every_name_must_be_in_its_quotes() -> None:
    verdict = judge_claim("Sergio Massa won the presidential runoff.", ["Javier Milei won Argentina's presidential runoff."])
    assert not verdict.supported and verdict.reason == "not in the quotes that say it: Sergio, Massa"


def test_every_number_must_be_in_its_quotes() -> None:
    verdict = judge_claim("Hamas took 240 hostages into Gaza on October 7.", ["Hamas took about 200 hostages into Gaza on October 7."])
    assert not verdict.supported and verdict.reason == "not in the quotes that say it: 240"
    assert judge_claim("Cyberbeast costs 99,990 dollars.", ["The Cyberbeast costs 99990 dollars."]).supported


def test_said_of_words_are_not_pooled_across_quotes() -> None:
    # One quote holds the names and the date, another the verb: no quote says Altman was fired on the 17th.
    quotes = ["Sam Altman spoke on November 17 at the summit.", "The board fired its chief."]
    verdict = judge_claim("Sam Altman was fired on November 17.", quotes)
    assert not verdict.supported and verdict.reason.startswith("not in the quotes that say it: Sam, Altman")


def test_the_quotes_that_count_must_cover_the_claims_words() -> None:
    claim = "Regulators fined the bank heavily for hiding losses from investors in several countries."
    verdict = judge_claim(claim, ["Regulators fined the bank heavily.", "Investors in several countries lost money."])
    assert not verdict.supported and verdict.reason.startswith("no one quote holds half of what it says")


def test_names_and_numbers_may_come_from_the_cited_articles_title_outlet_or_date() -> None:
    claim = "TechCrunch reported that Google's report discusses recent progress in large AI models."
    quote = ["Google's report discusses recent progress in large AI models."]
    assert judge_claim(claim, quote).reason == "not in the quotes that say it: TechCrunch"
    assert judge_claim(claim, quote, context="Google on deepfakes TechCrunch December 06, 2023").supported


def test_the_judge_is_never_more_lenient_than_the_answerer() -> None:
    quotes = ["Azerbaijan began an operation on Tuesday.", "At least 27 people have been killed."]
    verdict = judge_claim(TWO_FACTS, quotes, answerer_supported=False)
    assert not verdict.supported and verdict.reason == "the answerer marked it unsupported"


def test_direct_answers_and_article_sentences_are_not_judged() -> None:
    assert judge_claim("Yes.", []).supported is None
    assert judge_claim("Javier Milei.", ["Javier Milei won."]).supported is None
    sentence = "Javier Milei won Argentina's presidential runoff on Sunday."
    verdict = judge_claim(sentence, [sentence], verbatim=True)
    assert verdict.supported is None and verdict.reason == "article's own sentence"
    assert not judge_claim(TWO_FACTS, []).supported
