"""Answering: how passages become a prompt, the model answers, and each claim is cited."""
