"""Evaluation: question sets, metrics and reports for `qa eval`."""
