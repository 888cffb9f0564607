"""Ingest: how articles are read, cleaned, cut into chunks and de-duplicated."""
