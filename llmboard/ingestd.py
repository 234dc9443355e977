"""The ingest writer service: the single process that loads result bundles and request records.

Workers hand it work through a Redis list (a nudge); the files on disk are the truth, so at start it
also loads every bundle and request record it has not seen, and nothing is lost if it was down.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from core.settings import Config
from evaluator.queue import drain_ingest
from evaluator.recovery import sweep_lost
from evaluator.requests import RequestStore
from warehouse.importers.bundles import ingest_bundle
from warehouse.writer import Writer

SWEEP_EVERY_S = 5.0


def pending_bundles(results_dir: Path) -> list[Path]:
    return sorted(p.parent for p in results_dir.glob("*/*/results.json") if not p.parent.name.startswith(".tmp"))


def ingest_items(cfg: Config, items: list[dict]) -> int:
    """Load a batch of inbox items in one writer session (one snapshot published at the end).

    A request whose weights copy another model's gets its flag from the writer as it stores the request."""
    store = RequestStore(cfg.requests_dir)
    loaded = 0
    with Writer(cfg.home) as w:
        request_ids: list[str] = []
        for item in items:
            if item.get("kind") == "bundle":
                loaded += ingest_bundle(w, Path(item["path"]))
            elif item.get("kind") == "request":
                request_ids.append(item["request_id"])
            elif item.get("kind") == "sync":
                for bundle in pending_bundles(cfg.results_dir):
                    loaded += ingest_bundle(w, bundle)
                request_ids.extend(r.request_id for r in store.all())
        for rid in dict.fromkeys(request_ids):
            try:
                record = json.loads(store.path(rid).read_text())
            except (KeyError, FileNotFoundError, json.JSONDecodeError):
                continue
            w.upsert_request(record)
            loaded += 1
    return loaded


def serve(cfg: Config, conn, *, burst: bool = False, stop=None) -> None:
    """Load everything not yet seen, then each batch from the inbox as it arrives.

    burst: return once the inbox is empty. stop: a threading.Event-like object to end the loop.
    """
    ingest_items(cfg, [{"kind": "sync"}])
    next_sweep = 0.0
    while not (stop is not None and stop.is_set()):
        if time.monotonic() >= next_sweep:  # evaluations whose worker died go back to the queue
            for request_id in sweep_lost(cfg, conn):
                print(f"request {request_id}: its worker was lost; retried or failed", flush=True)
            next_sweep = time.monotonic() + SWEEP_EVERY_S
        items = drain_ingest(conn, block_s=0 if burst else 1.0)
        if items:
            ingest_items(cfg, items)
        elif burst:
            return
