import numpy as np

from qa.ingest.dedup import content_hash, minhash, near_duplicate_links, similarity

STORY = (
    "The central bank raised interest rates by a quarter point on Wednesday, citing persistent "
    "inflation in services and a tight labour market. Markets had expected the move, and the "
    "currency barely changed. The governor said further increases could not be ruled out if price "
    "pressures failed to ease over the winter months, while unions warned of higher mortgage costs."
)


def test_exact_copies_share_a_hash_despite_whitespace() -> None:
    assert content_hash(STORY) == content_hash(STORY.replace(" ", "  ") + "\n")
    assert content_hash(STORY) != content_hash(STORY + " Extra.")


def test_syndicated_copy_is_linked_to_the_earliest_and_unrelated_story_is_not() -> None:
    syndicated = "By Wire Staff. " + STORY + " This story was first published by Wire."
    unrelated = "A chess prodigy won the city open on Saturday after beating three grandmasters in a row."
    ids = ["copy", "orig", "other"]
    dates = ["2023-10-02", "2023-10-01", "2023-10-01"]
    signatures = np.stack([minhash(syndicated), minhash(STORY), minhash(unrelated)])
    assert similarity(signatures[0], signatures[1]) > 0.6
    assert near_duplicate_links(ids, dates, signatures) == {"copy": "orig"}
