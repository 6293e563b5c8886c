"""Arbiter's reward-model trainer: `python3 -m arbiter_trainer train|serve|doctor` (see README.md)."""

__version__ = "0.1.0"
