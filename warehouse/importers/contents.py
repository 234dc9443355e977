"""The leaderboard's published `contents` table (CSV or Parquet): one run per row, carrying its benchmark
columns. Rows the warehouse already holds are skipped; a row that cannot be loaded (a value that does not
convert, no model, the repeat of an earlier row, a row the database refuses) is quarantined with its reason
and the rest of the file loads. The file is marked seen with its quarantined rows, so importing it again
changes nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from warehouse.formats import BENCHMARK_COLUMNS, ContentsTable, FormatError, read_contents_table
from warehouse.importers.quarantine import commit_isolating, file_entry, one_line, row_entry
from warehouse.importers.source_files import ImportReport, Progress, content_sha
from warehouse.rows import (
    BenchmarkScoreRow,
    ImportedFlagRow,
    IngestedFileRow,
    Load,
    ModelRow,
    RunRow,
    timestamp,
)
from warehouse.writer import LOAD_ERRORS, Writer

KIND = "contents"


def contents_run_id(row: dict) -> str:
    key = json.dumps({k: row.get(k) for k in ("model", "sha", "precision", "average", "submission_date")},
                     default=str)
    return "contents-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def contents_row_load(row: dict, run_id: str, *, label: str, source_file: str) -> Load:
    """One row of a contents file (in our columns) as its model, run, benchmark scores and flag."""
    model = row["model"]
    load = Load(label)
    load.models.append(ModelRow(
        model_id=model, license=row.get("license"), params_b=row.get("params_b"),
        architecture=row.get("architecture"), model_type=row.get("model_type"),
        weight_type=row.get("weight_type"), base_model=row.get("base_model"), merged=row.get("merged"),
        moe=row.get("moe"), available_on_hub=row.get("available_on_hub"), hub_hearts=row.get("hub_hearts"),
        source="hub"))
    if row.get("flagged"):
        load.flags.append(ImportedFlagRow("import-" + run_id, model))
    load.runs.append(RunRow(
        run_id=run_id, request_id=None, model_id=model, sha=row.get("sha"), precision=row.get("precision"),
        weight_type=row.get("weight_type"), model_type=row.get("model_type"),
        use_chat_template=row.get("chat_template"), suite="leaderboard", lm_eval_version=None,
        transformers_version=None, task_hash_set=None, started_at=None,
        finished_at=timestamp(row.get("submission_date")), duration_s=None, device=None, dtype=None,
        params_b=row.get("params_b"), co2_kg=row.get("co2_kg"), average=row.get("average"), origin="contents",
        source_file=source_file, bundle_path=None, samples_file=None, raw_file=None,
        raw=json.dumps(row, default=str)))
    load.benchmark_scores.extend(BenchmarkScoreRow(run_id, key, row.get(f"{key}_raw"), row.get(key), None)
                                 for key in BENCHMARK_COLUMNS)
    return load


class ContentsImport:
    """One contents file: its rows sorted into new loads, rows the warehouse holds, and rows set aside."""

    def __init__(self, writer: Writer, path: Path, sha: str, table: ContentsTable):
        self.writer, self.path, self.sha, self.table = writer, path, sha, table
        self.report = ImportReport(KIND, rows_read=table.frame.height)
        self.loads: list[Load] = []  # one per new row
        self.row_of: dict[str, int] = {}  # a load's label -> its row's index
        self.quarantined: list = []
        self._raw_rows: list[dict] | None = None

    def _set_aside(self, index: int, row: dict, reason: str) -> None:
        """Quarantine the row at ``index`` (0-based; reported 1-based, the header not counted)."""
        if self._raw_rows is None:
            self._raw_rows = self.table.source.to_dicts()
        key = " ".join(str(v).strip() for v in (row.get("model"), row.get("precision")) if v and str(v).strip()) or None
        entry = row_entry(KIND, str(self.path), self.sha, index + 1, key, self._raw_rows[index], reason)
        self.quarantined.append(entry)
        self.report.errors.append(f"{self.path}: row {index + 1}" + (f" ({key})" if key else "")
                                  + f": {entry.reason}")

    def sort_rows(self) -> None:
        rows = self.table.frame.to_dicts()
        ids = [None if p else contents_run_id(r) for r, p in zip(rows, self.table.problems, strict=True)]
        known = self.writer.known_run_ids([i for i in ids if i])
        first: dict[str, int] = {}
        for index, (row, run_id, problem) in enumerate(zip(rows, ids, self.table.problems, strict=True)):
            if problem is not None or run_id is None:
                self._set_aside(index, row, str(problem))
            elif run_id in first:
                earlier = first[run_id]
                same = rows[earlier] == row
                self._set_aside(index, row, f"repeats row {earlier + 1}" + (
                    "" if same else " (same model, sha, precision, average and date, other values differ)"))
            else:
                first[run_id] = index
                if run_id in known:
                    self.report.rows_unchanged += 1
                else:
                    label = f"{self.path}: row {index + 1}"
                    self.row_of[label] = index
                    self.loads.append(contents_row_load(row, run_id, label=label, source_file=str(self.path)))

    def commit(self) -> None:
        """Everything in one transaction; only if that fails, the rows in halves until the culprits stand
        alone (they are quarantined with the database's reason), then the file's own record."""
        seen = IngestedFileRow(self.sha, KIND, str(self.path))
        try:
            self.writer.commit_loads([*self.loads, Load(str(self.path), seen=[seen], quarantined=self.quarantined)])
            failed = {}
        except LOAD_ERRORS:
            failed = commit_isolating(self.writer, self.loads)
            rows = self.table.frame.to_dicts() if failed else []
            for label, reason in failed.items():
                self._set_aside(self.row_of[label], rows[self.row_of[label]], f"not stored: {reason}")
            self.quarantined.sort(key=lambda q: q.row_number)
            self.writer.commit_loads([Load(str(self.path), seen=[seen], quarantined=self.quarantined)])
        self.report.rows_loaded = len(self.loads) - len(failed)
        self.report.quarantined = self.quarantined
        if self.table.unknown_columns:
            self.report.notes.append(f"{self.path}: columns not in the published schema, ignored: "
                                     + ", ".join(self.table.unknown_columns))
        (self.report.loaded if self.report.rows_loaded or not self.quarantined else self.report.failed).append(
            str(self.path))


def import_contents(writer: Writer, path: Path, progress: Progress = None) -> ImportReport:
    """Load one contents file through the writer; rows that cannot be loaded are quarantined."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return ImportReport(KIND, failed=[str(path)], errors=[f"{path}: cannot be read: {one_line(exc)}"])
    sha = content_sha(data)
    if writer.seen(sha):
        return ImportReport(KIND, unchanged=[str(path)])
    try:
        table = read_contents_table(path)
    except FormatError as exc:  # not a table at all: the whole file is set aside
        entry = file_entry(writer.home, KIND, path, data, sha, str(exc))
        report = ImportReport(KIND, failed=[str(path)], errors=[entry.reason], rows_read=1)
        try:
            writer.commit_loads([Load(str(path), quarantined=[entry])])
            report.quarantined.append(entry)
        except LOAD_ERRORS as error:
            report.errors.append(f"{path}: not stored: {one_line(error)}")
        return report
    job = ContentsImport(writer, path, sha, table)
    job.sort_rows()
    try:
        job.commit()
    except LOAD_ERRORS as exc:  # even the file's own record was refused: nothing is stored
        job.report.failed.append(str(path))
        job.report.errors.append(f"{path}: not stored: {one_line(exc)}")
    if progress:
        progress(job.report.rows_read)
    return job.report
