"""The time to import a whole leaderboard ``contents`` table (issue 9, item 6).

The published v2 table (``open-llm-leaderboard/contents``) cannot be fetched here (no hub access), so
the bench builds one of at least its size from the 250 real rows of the fixture sample: each row copied
with a new model name, sha and scores (the columns, types and oddities stay those of the real rows), and
one row in 50 flagged, as the complete table has flagged rows and the sample none. It is imported into an
empty warehouse through ``Writer.import_contents`` (parse, score, insert, quarantine, refresh and publish
included), and once more (nothing changes: the file is known by its content). The baseline reads the same CSV
with polars alone.

    .venv/bin/python bench/contents_import.py --rows 5000 --rows 50000
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from warehouse.ingest import Writer  # noqa: E402

SAMPLE = REPO.parent / "shared" / "fixtures" / "open-llm-leaderboard" / "contents" / "v2_contents_sample.csv"
SCORES = ("IFEval", "BBH", "MATH Lvl 5", "GPQA", "MUSR", "MMLU-PRO")


def complete_table(rows: int, out: Path, seed: int = 1) -> Path:
    """``rows`` rows made from the sample's, as a CSV of the published table's columns."""
    rng = random.Random(seed)
    sample = pl.read_csv(SAMPLE, infer_schema=False)  # every column as the text the file holds
    picks = [sample.row(rng.randrange(sample.height), named=True) for _ in range(rows)]
    for i, row in enumerate(picks):
        name = f"bench-org{i % 613}/{row['fullname'].split('/')[-1]}-c{i}"
        row["fullname"], row["eval_name"] = name, f"{name.replace('/', '_')}_{row['Precision']}"
        row["Model"] = f'<a target="_blank" href="https://huggingface.co/{name}">{name}</a>'
        row["Model sha"] = f"{i:040x}"
        for score in SCORES:
            if row.get(score) not in (None, ""):
                row[score] = str(round(max(0.0, float(row[score]) + rng.gauss(0, 3)), 4))
        row["Flagged"] = "True" if i % 50 == 0 else row["Flagged"]
        row[""] = str(i)
    pl.DataFrame(picks, schema=sample.schema).write_csv(out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, action="append", help="table sizes (default 5000)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="llmboard-contents-"))
    try:
        for rows in args.rows or [5000]:
            table = complete_table(rows, work / f"contents-{rows}.csv")
            t = time.perf_counter()
            pl.read_csv(table, infer_schema=False)
            read_s = time.perf_counter() - t
            home = work / f"home-{rows}"
            t = time.perf_counter()
            with Writer(home, wait_message=None) as w:
                report = w.import_contents(table)
            import_s = time.perf_counter() - t
            t = time.perf_counter()
            with Writer(home, wait_message=None) as w:
                again = w.import_contents(table)
            again_s = time.perf_counter() - t
            print(f"| contents table, {rows:,} rows ({table.stat().st_size / 2**20:.1f} MB) | "
                  f"{import_s:.1f} s ({rows / import_s:,.0f} rows/s): {report.rows_loaded:,} loaded, "
                  f"{len(report.quarantined):,} quarantined | polars read of the CSV {read_s * 1000:.0f} ms | "
                  f"again: {again_s:.2f} s ({again.summary()}) |",
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
