"""A fixture warehouse built cheaply, through the real writer: no model, no queue, about a second.

It holds
- the Open LLM Leaderboard's real files (../shared/fixtures): results, request files and the 250-row
  `contents` sample (suite ``leaderboard``), when they are present;
- synthetic lm-eval result bundles of our offline suite (suite ``offline``) for a few models, several
  precisions and several commits, with per-sample details, ingested as the workers' bundles are;
- request records in ``requests/`` in every state (PENDING, RUNNING with progress, FINISHED, FAILED);
- one flag a maintainer confirmed (its model is hidden unless 'Show flagged' is on).

Scores are a deterministic function of (model, sha, precision, attempt), so tests can recompute them.
Per-sample details follow each run's level without the run noise (`item_level`): every item of a model has a
fixed difficulty, evenly spaced, and a run answers the items easier than its level. So two runs of a model
differ item by item exactly where their levels differ: QUANTIZED_MODEL's 4bit and gguf runs lose clearly to
float32 (a paired interval that excludes 0), bfloat16, float16 and 8bit do not; its third commit gains
clearly on the second, the second hardly on the first.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from core.offline_suite import GROUPS, TASKS
from evaluator.requests import Request, RequestStatus, RequestStore
from warehouse.ingest import Writer, walk

REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "open-llm-leaderboard"
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)

# model id -> (model type, license, params in billions, quality 0..1)
MODELS: dict[str, tuple[str, str, float, float]] = {
    "demo/tiny-llama": ("pretrained", "apache-2.0", 1.1, 0.55),
    "demo/chat-mistral": ("chat", "mit", 7.2, 0.80),
    "demo/ft-qwen": ("fine-tuned", "apache-2.0", 0.5, 0.45),
    "demo/merge-frank": ("merge", "cc-by-4.0", 13.0, 0.70),
    "demo/cp-phi": ("continuously-pretrained", "mit", 3.0, 0.62),
    "acme/moe-8x": ("pretrained", "other", 46.7, 0.75),
}
# how much each precision costs in quality (a made-up but monotone penalty)
PRECISION_PENALTY = {"float32": 0.0, "bfloat16": 0.003, "float16": 0.002, "8bit": 0.01, "4bit": 0.04, "gguf": 0.05}
COMMITS = 3
COMMIT_GAIN = (0.0, 0.01, 0.06)  # each commit's quality over the first: a small tweak, then a clear gain
QUANTIZED_MODEL = "demo/tiny-llama"  # evaluated in every precision on its latest commit
RERUN = ("demo/tiny-llama", 1, "float32")  # (model, commit index, precision) evaluated twice
FLAGGED_MODEL = "demo/cp-phi"
MOE_MODEL = "acme/moe-8x"
SAMPLE_TASKS = ("llmb_mmlu_pro", "llmb_math_addition")
SAMPLES_PER_TASK = 80  # enough that a 0.05 loss shows item by item (about 8 flips)


@dataclass
class Fixture:
    home: Path
    shas: dict[str, list[str]] = field(default_factory=dict)  # model -> commit shas, oldest first
    runs: list[dict] = field(default_factory=list)  # model, sha, precision, attempt, request_id
    requests: dict[str, str] = field(default_factory=dict)  # status -> a request id in that status


def sha_of(model: str, commit: int) -> str:
    return hashlib.sha1(f"{model}@{commit}".encode()).hexdigest()


def item_level(model: str, sha: str, precision: str) -> float:
    """The model's level at a commit in a precision: its quality, the commit's gain, minus the precision's cost."""
    commit = next(i for i in range(COMMITS) if sha_of(model, i) == sha)
    return MODELS[model][3] * 0.9 + COMMIT_GAIN[commit] - PRECISION_PENALTY[precision]


def task_score(model: str, sha: str, precision: str, attempt: int, task: str) -> float:
    """A task's 0..1 score in the results file: the level plus run noise (per run and task)."""
    rng = random.Random(f"{model}|{sha}|{precision}|{attempt}|{task}")
    return round(min(1.0, max(0.0, item_level(model, sha, precision) + rng.uniform(-0.04, 0.04))), 4)


def item_difficulty(model: str, task: str) -> list[float]:
    """Each item's difficulty for a model, the same in every run of it: evenly spaced in 0..1, shuffled."""
    levels = [(i + 0.5) / SAMPLES_PER_TASK for i in range(SAMPLES_PER_TASK)]
    random.Random(f"{model}|{task}").shuffle(levels)
    return levels


def results_json(model: str, sha: str, precision: str, attempt: int, when: datetime) -> dict:
    """An lm-eval results file of the offline suite, shaped as lm-eval 0.4 writes it."""
    results, n_samples, configs = {}, {}, {}
    for t in TASKS:
        value = task_score(model, sha, precision, attempt, t.name)
        stderr = round((value * (1 - value) / t.items) ** 0.5, 4)
        metrics = {"alias": t.name, f"{t.metric},none": value, f"{t.metric}_stderr,none": stderr}
        if t.name == "llmb_ifeval":
            inst = round(min(1.0, value + 0.05), 4)
            metrics.update({"inst_level_strict_acc,none": inst, "inst_level_strict_acc_stderr,none": "N/A"})
        results[t.name] = metrics
        n_samples[t.name] = {"original": t.items, "effective": t.items}
        configs[t.name] = {"task": t.name, "output_type": t.output_type, "num_fewshot": 0}
        if t.choices:
            configs[t.name]["doc_to_choice"] = [chr(65 + i) for i in range(t.choices)]
    groups = {key: [t.name for t in TASKS if t.benchmark == key] for key in GROUPS}
    return {
        "results": results,
        "group_subtasks": {GROUPS[k]: v for k, v in groups.items()},
        "configs": configs,
        "n-samples": n_samples,
        "config": {"model": "hf", "model_args": f"pretrained={model},revision={sha},dtype={precision}",
                   "model_name": model, "model_sha": sha, "batch_size": 4},
        "model_name": model,
        "model_sha": sha,
        "lm_eval_version": "0.4.9",
        "transformers_version": "4.57.0",
        "chat_template": None,
        "date": when.timestamp(),
    }


def samples_rows(model: str, sha: str, precision: str, task: str) -> list[dict]:
    rows, level = [], item_level(model, sha, precision)
    for doc_id, difficulty in enumerate(item_difficulty(model, task)):
        correct = difficulty < level
        target = str(doc_id * 7 % 10)
        answer = target if correct else str((doc_id * 7 + 3) % 10)
        prompt = f"Question {doc_id} of {task}: what is {doc_id} * 7 mod 10?"
        metric = "acc" if task == "llmb_mmlu_pro" else "exact_match"
        rows.append({
            "doc_id": doc_id, "doc": {"q": prompt}, "target": target,
            "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": {"until": ["\n"]}}},
            "resps": [[answer]], "filtered_resps": [answer], "filter": "none",
            "doc_hash": hashlib.sha256(f"{task}{doc_id}".encode()).hexdigest(), metric: float(correct),
        })
    return rows


def write_bundle(root: Path, req: Request, attempt: int, when: datetime) -> Path:
    bundle = root / req.request_id / f"attempt{attempt}"
    bundle.mkdir(parents=True)
    data = results_json(req.model, req.sha, req.precision, attempt, when)
    (bundle / "results.json").write_text(json.dumps(data))
    for task in SAMPLE_TASKS:
        lines = [json.dumps(r) for r in samples_rows(req.model, req.sha, req.precision, task)]
        (bundle / f"samples_{task}.jsonl").write_text("\n".join(lines) + "\n")
    (bundle / "request.json").write_text(json.dumps(req.to_json()))
    run = {"started_at": (when - timedelta(minutes=3)).isoformat(), "finished_at": when.isoformat(),
           "duration_s": 180.0, "device": "cpu", "dtype": req.precision}
    (bundle / "run.json").write_text(json.dumps(run))
    return bundle


def make_request(model: str, sha: str, precision: str, when: datetime, **extra) -> Request:
    mtype, license, params, _ = MODELS[model]
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    req = Request(request_id=Request.make_id(model, sha, precision, "Original", stamp), model=model,
                  revision="main", sha=sha, precision=precision, model_type=mtype, license=license,
                  params=params, submitted_time=stamp, source="hub", sender="fixture", **extra)
    return req


def planned_runs() -> list[tuple[str, int, str, int]]:
    """(model, commit, precision, attempt) of every synthetic run, in the order they finish."""
    plan = []
    for model in MODELS:
        for commit in range(COMMITS):
            plan.append((model, commit, "float32" if model == QUANTIZED_MODEL else "bfloat16", 0))
    plan += [(QUANTIZED_MODEL, COMMITS - 1, p, 0) for p in PRECISION_PENALTY if p != "float32"]
    plan += [("demo/chat-mistral", COMMITS - 1, p, 0) for p in ("float16", "4bit")]
    plan.append((*RERUN, 1))
    return plan


def build_fixture_warehouse(home: Path, *, real: bool = True, extra_models: int = 0) -> Fixture:
    """Build the fixture warehouse under `home` (which should be empty); returns what it holds.

    `extra_models` adds that many synthetic leaderboard rows (offline suite, straight into the tables),
    for benchmarks.
    """
    home = Path(home)
    fx = Fixture(home=home, shas={m: [sha_of(m, i) for i in range(COMMITS)] for m in MODELS})
    store = RequestStore(home / "requests")
    bundles = home / "fixture-bundles"
    with Writer(home, wait_message=None) as w:
        if real and REAL.exists():
            w.import_results(walk([REAL / "results"]))
            w.import_requests(walk([REAL / "requests"]))
            w.import_contents(REAL / "contents" / "v2_contents_sample.csv")
        for i, (model, commit, precision, attempt) in enumerate(planned_runs()):
            when = T0 + timedelta(days=7 * commit, hours=i)
            sha = fx.shas[model][commit]
            req = make_request(model, sha, precision, when - timedelta(minutes=10))
            req.status = RequestStatus.FINISHED
            req.history = [{"status": s, "at": (when - timedelta(minutes=m)).isoformat(), "reason": r}
                           for s, m, r in (("PENDING", 10, "submitted"), ("RUNNING", 3, "worker fixture"),
                                           ("FINISHED", 0, "results ingested"))]
            req.progress = 1.0
            store.save(req)
            w.ingest_bundle(write_bundle(bundles, req, attempt, when))
            w.upsert_request(req.to_json())
            fx.runs.append({"model": model, "sha": sha, "precision": precision, "attempt": attempt,
                            "request_id": req.request_id})
        w.upsert_model(MOE_MODEL, moe=True)
        w.upsert_model("demo/merge-frank", merged=True)
        w.upsert_model(FLAGGED_MODEL)  # its leaderboard rows carry the flag below
        w.insert_frame("flags", pa.table({
            "flag_id": ["fixture-flag-1"], "model_id": [FLAGGED_MODEL], "kind": ["contamination"],
            "reason": ["trained on the MMLU-Pro test set"], "author": ["fixture"],
            "created_at": pa.array([datetime(2025, 2, 1, 10)], pa.timestamp("us")), "status": ["confirmed"]}))
        w.insert_frame("flag_comments", pa.table({
            "flag_id": ["fixture-flag-1"], "seq": pa.array([0], pa.int32()), "author": ["fixture"],
            "body": ["see the dataset card"], "created_at": pa.array([datetime(2025, 2, 1, 11)], pa.timestamp("us"))}))
        queued = T0 + timedelta(days=30)
        live = {
            "PENDING": make_request("demo/ft-qwen", fx.shas["demo/ft-qwen"][-1], "4bit", queued),
            "RUNNING": make_request("demo/merge-frank", fx.shas["demo/merge-frank"][-1], "8bit", queued,
                                    status=RequestStatus.RUNNING, progress=0.42, progress_task="llmb_bbh_word_sorting",
                                    job_start_time=queued.isoformat()),
            "FAILED": make_request("acme/moe-8x", fx.shas["acme/moe-8x"][-1], "gguf", queued,
                                   status=RequestStatus.FAILED, failure_kind="submission",
                                   failure_reason="gguf: no .gguf file in the repository at this revision",
                                   log_tail="Traceback (most recent call last):\nValueError: no gguf file found"),
        }
        for status, req in live.items():
            req.history = [{"status": "PENDING", "at": req.submitted_time, "reason": "submitted"}]
            if status != "PENDING":
                req.history.append({"status": "RUNNING", "at": req.submitted_time, "reason": "worker fixture"})
            if status == "FAILED":
                req.history.append({"status": "FAILED", "at": req.submitted_time, "reason": req.failure_reason})
            store.save(req)
            w.upsert_request(req.to_json())
            fx.requests[status] = req.request_id
        fx.requests["FINISHED"] = fx.runs[0]["request_id"]
        if extra_models:
            _add_extra_models(w, extra_models)
        w.changed = True
    return fx


def _add_extra_models(w: Writer, n: int) -> None:
    """n synthetic models with one run each, generated by DuckDB aside and inserted in bulk (for benchmarks)."""
    keys = ("ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro")
    types = ("pretrained", "continuously-pretrained", "fine-tuned", "chat", "merge")
    precisions = ("bfloat16", "float16", "float32", "4bit", "8bit")
    with duckdb.connect() as gen:
        gen.execute(f"""
            CREATE TABLE extra AS
            SELECT 'bench/model-' || lpad(i::VARCHAR, 6, '0') AS model_id, 'x' || md5(i::VARCHAR) AS run_id,
                   md5('sha' || i::VARCHAR) AS sha, {list(precisions)}[1 + i % 5] AS precision,
                   {list(types)}[1 + i % 5] AS model_type, (i % 700) / 10.0 + 0.1 AS params_b,
                   ['apache-2.0', 'mit', 'other'][1 + i % 3] AS license, i
            FROM range({int(n)}) t(i)""")
        gen.execute("""
            CREATE TABLE scores AS
            SELECT run_id, k.key AS benchmark, (hash(run_id || k.key) % 1000) / 1000.0 AS raw,
                   (hash(run_id || k.key) % 1000) / 10.0 AS normalized
            FROM extra, (SELECT unnest(?) AS key) k""", [list(keys)])
        models = gen.sql("SELECT model_id, license, params_b, model_type, 'Original' AS weight_type FROM extra").to_arrow_table()
        scores = gen.sql("SELECT * FROM scores").to_arrow_table()
        runs = gen.sql("""
            SELECT e.run_id, e.model_id, e.sha, e.precision, 'Original' AS weight_type, e.model_type,
                   'offline' AS suite, TIMESTAMP '2025-01-01' + INTERVAL (e.i % 1000) MINUTE AS finished_at,
                   e.params_b, avg(s.normalized) AS average, 'bench' AS origin
            FROM extra e JOIN scores s USING (run_id) GROUP BY ALL""").to_arrow_table()
    w.insert_frame("models", models, updated_at="now()")
    w.insert_frame("benchmark_scores", scores)
    w.insert_frame("runs", runs, ingested_at="now()")


def writable_copy(built: Path, dest: Path, monkeypatch) -> Path:
    """A copy of a built fixture warehouse for one test to change, the app and CLI pointed at it with the
    tests' admin token."""
    import shutil

    from tests.conftest import TOKEN

    shutil.copytree(built, dest)
    monkeypatch.setenv("LLMBOARD_HOME", str(dest))
    monkeypatch.setenv("LLMBOARD_ADMIN_TOKEN", TOKEN)
    return dest
