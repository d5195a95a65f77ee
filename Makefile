# Every target installs what it needs, so both work on a fresh clone.
PY ?= python3
VENV := .venv
VENV_LS := .venv-ls
BIN := $(VENV)/bin
SEEDS := ../shared/seeds
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test install install-ls install-browser clean-venv

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	# torch first and pinned: this disk has its CPU wheel; an unpinned torch pulls CUDA (GBs).
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,ray]'
	touch $@

install: $(VENV)/.installed

# Label Studio lives in its own venv: its pins (Django, pydantic…) must not steer the project's.
$(VENV_LS)/.installed:
	$(PY) -m venv $(VENV_LS)
	$(VENV_LS)/bin/pip install -q 'label-studio>=1.20'
	touch $@

install-ls: $(VENV_LS)/.installed

# Debian's Chromium for the annotator-in-a-browser test (playwright drives it; no browser download),
# and a CJK font so the labeling page (and its screenshot) shows Chinese rather than boxes.
install-browser:
	@(command -v chromium >/dev/null 2>&1 && fc-list :lang=zh | grep -q .) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null)

test: install install-ls install-browser
	$(BIN)/python -m pytest -q

demo: install
	$(BIN)/govner prepare $(SEEDS)/*.txt --out outputs/demo/sentences.jsonl
	$(BIN)/govner train --config configs/default.yaml
	$(BIN)/govner evaluate --model outputs/default --data annotations/*.json --split test
	head -n 5 outputs/demo/sentences.jsonl | $(BIN)/govner predict --model outputs/default -

clean-venv:
	rm -rf $(VENV) $(VENV_LS)
