"""Agents with a common ``reset(obs, info)`` / ``act(obs, info)`` protocol: random, oracle, PPO, model policy."""

from __future__ import annotations

from agents.base import Agent, RandomAgent
from agents.oracle import OracleQAAgent
from agents.oracle_nav import OracleNavAgent

__all__ = ["Agent", "OracleNavAgent", "OracleQAAgent", "RandomAgent"]
