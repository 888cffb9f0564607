"""Index: how chunks, vectors and keywords are stored on disk, in complete generations."""
