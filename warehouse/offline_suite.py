"""Placeholder: the bundled offline suite's declaration (being written)."""

from warehouse.benchmarks import Suite

OFFLINE = Suite(name="offline", display="llmboard offline suite", benchmarks=(), lm_eval_tasks=("llmb_offline",))
