"""When is a short answer withheld? When its name or number was not what the model was sure of."""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.answering.llm import TokenProb

# The label the fact shape's reply starts with ("Answer: Sam Altman").
ANSWER_LABEL = re.compile(r"^\s*(?:\*\*)?answer(?:\*\*)?\s*:\s*(?:\*\*)?", re.IGNORECASE)


def answer_confidence(probs: Sequence[TokenProb]) -> float | None:
    """The probability of the reply's first answer token (right after "Answer:"), where the model
    chooses what to answer; None when the backend reports no probabilities or there is no label."""
    text = ""
    for piece, prob in probs:
        if piece.strip() and ANSWER_LABEL.fullmatch(text.rstrip()):
            return prob
        text += piece
    return None


def is_name_or_number(short: str) -> bool:
    """A direct answer that names something or counts: digits, one capitalised word, or a phrase
    whose later words are mostly capitalised ("Sam Altman", "The Federal Reserve"). "Cease
    hostilities" is a phrase: a paraphrase of it is as good, so it is checked by its citations."""
    words = re.findall(r"[A-Za-z0-9][\w'’.-]*", short)
    if not words or short in ("Yes", "No"):
        return False
    if any(ch.isdigit() for ch in short):
        return True
    if len(words) == 1:
        return words[0][0].isupper()
    later = words[1:]
    return sum(w[0].isupper() for w in later) * 2 >= len(later)


def is_unsure(short: str, confidence: float | None, threshold: float) -> bool:
    """A name or number answered with low probability: the passages did not settle it. Yes/no
    answers are left out (the model's yes/no probability barely tracks correctness on dev)."""
    return confidence is not None and short not in ("Yes", "No") and confidence < threshold
