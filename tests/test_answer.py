"""The answer loop with a scripted fake LLM on a real index of the tiny corpus."""

from __future__ import annotations

import pytest

from qa.answer import ABSTENTION_TEXT, MIN_ANSWER_CONFIDENCE, Answerer, Token, Turn, answer_confidence, short_answer
from qa.ingest import ingest_corpus
from qa.llm import FakeLLM
from qa.retrieve import Filters, Retriever
from qa.types import Answer


@pytest.fixture
def retriever(tiny_corpus, index_dir, embedder) -> Retriever:
    ingest_corpus(tiny_corpus, index_dir, embedder)
    return Retriever(index_dir, embedder)


def test_answer_streams_tokens_then_a_verified_answer(retriever) -> None:
    llm = FakeLLM(["27 [1]. At least 27 people have been killed in Karabakh and 200 wounded [1]."])
    events = list(Answerer(retriever, llm, k=3).stream("How many people had been killed in Karabakh?"))
    tokens = [e.text for e in events if isinstance(e, Token)]
    answer = events[-1]
    assert isinstance(answer, Answer) and len(tokens) > 5 and "".join(tokens).startswith("27 [1]")
    assert not answer.abstained and answer.short_answer == "27"
    (citation,) = answer.citations
    assert citation.supported and citation.source == "Reuters"
    assert citation.quote == "At least 27 people have been killed in Karabakh and 200 wounded, they said."
    body = retriever.store.article(citation.article_id).body
    assert body[citation.start : citation.end] == citation.quote
    assert set(answer.timings) == {"retrieve_ms", "first_token_ms", "total_ms"}
    prompt = llm.prompts[0][-1]["content"]
    assert "[1] Azerbaijan Pounds Karabakh" in prompt and prompt.endswith("Question: How many people had been killed in Karabakh?")


def test_model_that_says_it_cannot_answer_gives_a_plain_abstention(retriever) -> None:
    answer = Answerer(retriever, FakeLLM(["Insufficient information."])).ask("Who won the 1850 glacier chess marathon?")
    assert answer.abstained and answer.answer == ABSTENTION_TEXT and answer.citations == []


def test_no_passages_means_abstaining_without_calling_the_model(retriever) -> None:
    llm = FakeLLM(["should not be used"])
    answer = Answerer(retriever, llm).ask("Zorblax", filters=Filters(sources=("Nowhere Gazette",)))
    assert answer.abstained and llm.prompts == []


def test_follow_up_is_rewritten_with_the_history(retriever) -> None:
    llm = FakeLLM(["What did the Quimperle Bank analysts say about the merger?", "Analysts said the deal could create the third-largest lender [1]."])
    history = [Turn("Why did Quimperle Bank shares jump?", "Merger talk [1].")]
    answer = Answerer(retriever, llm).ask("And what did the analysts say?", history)
    assert "Follow-up: And what did the analysts say?" in llm.prompts[0][1]["content"]
    assert answer.question == "What did the Quimperle Bank analysts say about the merger?"
    assert answer.citations[0].source == "Market Wire" and answer.citations[0].supported


def test_unusable_rewrite_falls_back_to_joining_the_questions(retriever) -> None:
    llm = FakeLLM(["", "Merger talk [1]."])
    history = [Turn("Why did Quimperle Bank shares jump?", "Merger talk [1].")]
    answer = Answerer(retriever, llm).ask("And why did they?", history)
    assert answer.question == "Why did Quimperle Bank shares jump? And why did they?"


def test_standalone_question_is_not_rewritten(retriever) -> None:
    llm = FakeLLM(["Paper lanterns [1]."])
    history = [Turn("Why did Quimperle Bank shares jump?", "Merger talk.")]
    Answerer(retriever, llm).ask("What floated over the river at the Brindlemoor festival?", history)
    assert len(llm.prompts) == 1


def test_extractive_fake_answers_from_the_passages(retriever) -> None:
    answer = Answerer(retriever, FakeLLM()).ask("What did the survey find at the Zorblax glacier's edge?")
    assert "meltwater lakes" in answer.answer and answer.citations[0].supported


@pytest.mark.parametrize(
    ("text", "short"),
    [("Yes [1]. The Verge said so [2].", "Yes"), ("No, it did not [1].", "No"),
     ("Sam Bankman-Fried [1]. He was tried.", "Sam Bankman-Fried"), ("27 people died [1].", "27 people died")],
)
def test_short_answer_is_the_direct_answer(text: str, short: str) -> None:
    assert short_answer(text) == short


def test_labelled_reply_streams_and_reads_as_answer_then_explanation(retriever) -> None:
    llm = FakeLLM(["Answer: 27\nExplanation: At least 27 people have been killed in Karabakh and 200 wounded [1]."])
    events = list(Answerer(retriever, llm, k=3).stream("How many people had been killed in Karabakh?"))
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    assert streamed == "27. At least 27 people have been killed in Karabakh and 200 wounded [1]."
    answer = events[-1]
    assert answer.short_answer == "27" and answer.citations[0].supported


def test_question_about_an_outlet_the_corpus_lacks_is_declined_without_the_model(retriever) -> None:
    llm = FakeLLM(["should not be used"])
    answer = Answerer(retriever, llm).ask("What did Bloomberg and Reuters report about Karabakh?")
    assert answer.abstained and "no articles from Bloomberg" in answer.answer and llm.prompts == []
    carried = Answerer(retriever, FakeLLM(["27 [1]."])).ask("What did Reuters report about Karabakh casualties?")
    assert not carried.abstained


def test_an_answer_found_in_no_retrieved_article_is_withheld(retriever) -> None:
    made_up = Answerer(retriever, FakeLLM(["Tokyo [1]. The survey was led from Tokyo [1]."])).ask(
        "Which city led the survey at the Zorblax glacier's edge?")
    assert made_up.abstained and made_up.answer == ABSTENTION_TEXT and not made_up.citations
    read = Answerer(retriever, FakeLLM(["Meltwater lakes [1]. The survey found meltwater lakes forming at the glacier's edge [1]."])).ask(
        "What did the survey find at the Zorblax glacier's edge?")
    assert not read.abstained and read.citations[0].supported


@pytest.mark.parametrize(
    ("probs", "confidence"),
    [
        ([("Answer", 0.9), (":", 0.99), (" New", 0.5), (" York", 0.99), ("\n", 0.9)], 0.5),
        ([("**", 0.8), ("Answer", 0.9), (":**", 0.9), (" ", 0.7), ("Meta", 0.3)], 0.3),  # bold label, lone space
        ([("New", 0.4), (" York", 0.9)], None),  # no label: the answer cannot be located
        ([("Answer", 0.9), (":", 0.99)], None),  # cut off before the answer
        ([], None),  # a backend without probabilities
    ],
)
def test_answer_confidence_is_the_first_token_after_the_label(probs, confidence) -> None:
    assert answer_confidence(probs) == confidence


def test_a_name_the_model_is_unsure_of_is_withheld(retriever) -> None:
    question = "What did the survey find at the Zorblax glacier's edge?"
    reply = "Answer: Meltwater lakes\nExplanation: The survey found meltwater lakes forming at the glacier's edge [1]."
    unsure = Answerer(retriever, FakeLLM([reply], prob=MIN_ANSWER_CONFIDENCE - 0.05)).ask(question)
    assert unsure.abstained and unsure.answer == ABSTENTION_TEXT and not unsure.citations
    sure = Answerer(retriever, FakeLLM([reply], prob=MIN_ANSWER_CONFIDENCE + 0.05)).ask(question)
    assert not sure.abstained and sure.short_answer == "Meltwater lakes"
    unknown = Answerer(retriever, FakeLLM([reply])).ask(question)  # no probabilities: no confidence check
    assert not unknown.abstained


def test_yes_no_answers_are_not_withheld_for_low_confidence(retriever) -> None:
    reply = "Answer: Yes\nExplanation: The survey found meltwater lakes forming at the glacier's edge [1]."
    answer = Answerer(retriever, FakeLLM([reply], prob=0.1)).ask("Did the survey find lakes at the Zorblax glacier's edge?")
    assert not answer.abstained and answer.short_answer == "Yes"


def test_a_lone_letter_answer_is_withheld(retriever) -> None:
    reply = "Answer: A\nExplanation: The survey found meltwater lakes forming at the glacier's edge [1]."
    answer = Answerer(retriever, FakeLLM([reply], prob=0.99)).ask("Which letter starts what the survey found at the Zorblax glacier?")
    assert answer.abstained and not answer.citations


def test_the_confidence_threshold_is_a_setting(retriever, index_dir) -> None:
    from qa.compose import build_answerer
    from qa.errors import ConfigError
    from qa.settings import load_settings

    settings = load_settings({"QA_LLM": "fake", "QA_INDEX": str(index_dir), "QA_MIN_ANSWER_CONFIDENCE": "0"})
    assert build_answerer(settings, retriever).min_confidence == 0.0
    assert load_settings({}).min_answer_confidence == MIN_ANSWER_CONFIDENCE
    with pytest.raises(ConfigError, match="QA_MIN_ANSWER_CONFIDENCE"):
        load_settings({"QA_MIN_ANSWER_CONFIDENCE": "1.5"})
    reply = "Answer: Meltwater lakes\nExplanation: The survey found meltwater lakes forming at the glacier's edge [1]."
    off = Answerer(retriever, FakeLLM([reply], prob=0.01), min_confidence=0.0)
    assert not off.ask("What did the survey find at the Zorblax glacier's edge?").abstained
