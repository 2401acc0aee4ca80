# SAT-Env: `make demo` and `make test` set everything up from a fresh clone (idempotent).
PYTHON ?= python3
VENV   ?= .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# One thread per BLAS/torch pool keeps the 2-core CI machine responsive; llvmpipe keeps its own threads.
export OMP_NUM_THREADS ?= 1

.PHONY: all setup system-deps demo test test-slow bench clean help

help:
	@echo "make demo       set up .venv and system packages, then generate and render an apartment into demo_out/"
	@echo "make test       set up, then run the test suite"
	@echo "make test-slow  set up, then run only the slow tests"
	@echo "make bench      run the benchmarks in benchmarks/"

setup: system-deps $(STAMP)

system-deps:
	@sh tools/check_system_deps.sh

$(STAMP): setup.py pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "SAT-Env needs Python >= 3.10; set PYTHON=python3.11 (e.g. make PYTHON=python3.11 test)")'
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip setuptools wheel
	$(VPY) -m pip install -q -e ".[test]"
	@touch $(STAMP)

demo: setup
	$(VPY) -m sat_env demo --out demo_out

test: setup
	$(VPY) -m pytest -q -m "not slow"

test-slow: setup
	$(VPY) -m pip install -q -e ".[test,ray]"
	$(VPY) -m pytest -q -m slow

bench: setup
	$(VPY) benchmarks/render_bench.py
	$(VPY) benchmarks/memory_bench.py
	$(VPY) benchmarks/env_bench.py
	$(VPY) benchmarks/qa_bench.py
	$(VPY) benchmarks/export_bench.py

clean:
	rm -rf demo_out .pytest_cache build *.egg-info
