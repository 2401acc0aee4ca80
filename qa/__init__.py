"""qa (see README)."""
