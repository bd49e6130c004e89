# The two set-up commands of the README: `make books` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 2

.PHONY: books test test-fast test-set check bench clean tools publish

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

books: $(STAMP)
	$(BIN)/sopress build --jobs $(JOBS) --omnibus

check: $(STAMP)
	$(BIN)/sopress check

# DAISY Ace for `sopress publish`: tools/ace/ (package-lock.json pins it), run with the system Chromium.
ACE := tools/ace/node_modules/.bin/ace-cli
$(ACE): tools/ace/package.json tools/ace/package-lock.json
	cd tools/ace && PUPPETEER_SKIP_DOWNLOAD=1 PUPPETEER_SKIP_CHROMIUM_DOWNLOAD=1 npm ci --no-audit --no-fund --silent
	touch $@

tools: $(ACE)

publish: $(STAMP) $(ACE)
	$(BIN)/sopress publish --jobs $(JOBS)

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)  # seconds: no PDF or EPUB is built
	$(BIN)/python -m pytest -m "not slow"

test-set: $(STAMP)  # the checks that build the real set in content/
	$(BIN)/python -m pytest -m realset

bench: $(STAMP)  # compares with Pandoc -> WeasyPrint: needs the Debian package pandoc
	@command -v pandoc >/dev/null || { echo "make bench compares with Pandoc: apt-get install pandoc"; exit 1; }
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf build
