"""How are duplicate articles found? Exact copies by hash; syndicated near-copies by MinHash."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

import numpy as np

NUM_PERMUTATIONS = 64
BANDS = 16  # 16 bands of 4 rows: pairs with Jaccard ~0.5 and up become candidates
SHINGLE_WORDS = 5
NEAR_DUPLICATE_JACCARD = 0.6

_MERSENNE = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20231)
_A = _rng.integers(1, (1 << 61) - 1, NUM_PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, (1 << 61) - 1, NUM_PERMUTATIONS, dtype=np.uint64)
_WORD = re.compile(r"\w+")


def content_hash(body: str) -> str:
    """Hash of the body with whitespace collapsed: equal for exact copies of one article."""
    return hashlib.sha256(" ".join(body.split()).encode("utf-8")).hexdigest()


def minhash(text: str) -> np.ndarray:
    """MinHash signature of the text's lower-cased word 5-gram shingles."""
    words = _WORD.findall(text.lower())
    grams = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(max(1, len(words) - SHINGLE_WORDS + 1))}
    hashes = np.array(
        [int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little") >> 3 for g in grams],
        dtype=np.uint64,
    )
    # (a*x + b) mod p over 61-bit values; uint64 multiplication wraps, which keeps the hash
    # family well-mixed enough for similarity estimates.
    permuted = (hashes[:, None] * _A[None, :] + _B[None, :]) % _MERSENNE
    return permuted.min(axis=0)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(a == b))


def near_duplicate_links(ids: list[str], dates: list[str], signatures: np.ndarray) -> dict[str, str]:
    """Link every member of a near-duplicate cluster to its canonical (earliest, then smallest id).

    Candidates come from locality-sensitive hashing over signature bands, so the work grows with
    the number of similar pairs, not with the square of the corpus.
    """
    if len(ids) < 2:
        return {}
    rows = NUM_PERMUTATIONS // BANDS
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for i, signature in enumerate(signatures):
        for band in range(BANDS):
            buckets[(band, signature[band * rows : (band + 1) * rows].tobytes())].append(i)
    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for members in buckets.values():
        for j in members[1:]:
            i = members[0]
            if find(i) != find(j) and similarity(signatures[i], signatures[j]) >= NEAR_DUPLICATE_JACCARD:
                parent[find(j)] = find(i)
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(len(ids)):
        clusters[find(i)].append(i)
    links: dict[str, str] = {}
    for members in clusters.values():
        if len(members) < 2:
            continue
        canonical = min(members, key=lambda i: (dates[i] or "9999", ids[i]))
        for i in members:
            if i != canonical:
                links[ids[i]] = ids[canonical]
    return links
