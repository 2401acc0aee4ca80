"""agents (see README)."""
