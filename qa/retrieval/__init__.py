"""Retrieval: how a question finds the best passages (dense + keyword, fused and reranked)."""
