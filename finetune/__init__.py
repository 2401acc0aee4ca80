"""finetune (see README)."""
