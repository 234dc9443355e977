"""llmboard: an open, self-hostable leaderboard for open large language models."""

__version__ = "0.1.0"
