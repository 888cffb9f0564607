from qa.retrieval.outlets import missing_outlets, named_outlets


def test_named_outlets_prefer_the_longest_name_and_need_context_for_common_words() -> None:
    assert named_outlets("as reported by The Washington Post and Forbes") == ["The Washington Post", "Forbes"]
    assert named_outlets("People say the time is right") == []
    assert named_outlets("a TIME magazine piece") == ["TIME"]


def test_missing_outlets_match_loosely_against_the_corpus() -> None:
    corpus = ["Cnbc | World Business News Leader", "The Verge", "TechCrunch"]
    assert missing_outlets("Did CNBC and The Verge agree?", corpus) == []
    assert missing_outlets("Did CNET and The Verge agree?", corpus) == ["CNET"]
    assert missing_outlets("What did Bloomberg say?", []) == ["Bloomberg"]
