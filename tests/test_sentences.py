from qa.ingest.sentences import sentence_spans, split_sentences


def test_split_keeps_abbreviations_and_initials_inside_sentences() -> None:
    text = "Mr. Smith met U.S. officials. J. K. Rowling wrote it! Was it good? Yes."
    assert split_sentences(text) == [
        "Mr. Smith met U.S. officials.",
        "J. K. Rowling wrote it!",
        "Was it good?",
        "Yes.",
    ]


def test_paragraph_breaks_end_sentences_and_spans_are_exact() -> None:
    text = "  Headline without period\n\nFirst sentence here. “Quoted one,” she said.\n"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "Headline without period",
        "First sentence here.",
        "“Quoted one,” she said.",
    ]


def test_lowercase_after_period_does_not_split() -> None:
    assert split_sentences("The rate was 3.5 percent. e.g. this stays.") == [
        "The rate was 3.5 percent. e.g. this stays."
    ]
