"""Experiment configs and their runner (python -m experiments.run CONFIG)."""
