# The two commands: `make demo` and `make test`. Both set up what is missing first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

# Debian/Ubuntu packages: Qt offscreen, Qt real windows under Xvfb, PDF tools for report tests.
QT_OFFSCREEN_PKGS := libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0
QT_WINDOW_PKGS := xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
	libxcb-render-util0 libxcb-shape0 libxkbcommon-x11-0 libxcb-xkb1
TOOL_PKGS := poppler-utils
# A real Secret Service for the keyring integration test.
KEYRING_PKGS := gnome-keyring dbus
SYSTEM_PKGS := $(QT_OFFSCREEN_PKGS) $(QT_WINDOW_PKGS) $(TOOL_PKGS) $(KEYRING_PKGS)

.PHONY: setup test demo lint system-packages clean

setup: $(STAMP)

# Setup runs again only when pyproject.toml or this Makefile changes.
$(STAMP): pyproject.toml Makefile
	@$(MAKE) --no-print-directory system-packages
	@uv_bin=$$(command -v uv || ls .bootstrap/bin/uv 2>/dev/null || true); \
	if [ -z "$$uv_bin" ]; then \
		echo "uv not found: installing it into .bootstrap/"; \
		$(PYTHON) -m venv .bootstrap && .bootstrap/bin/pip install --quiet uv && uv_bin=.bootstrap/bin/uv; \
	fi; \
	[ -x $(VENV)/bin/python ] || $$uv_bin venv --quiet --python $(PYTHON) $(VENV); \
	VIRTUAL_ENV=$(abspath $(VENV)) $$uv_bin pip install --quiet --compile-bytecode -e '.[test]'
	@# The editable project's own bytecode too: PYTHONDONTWRITEBYTECODE would otherwise leave it uncompiled.
	@$(VENV)/bin/python -m compileall -q app central
	@touch $(STAMP)

system-packages:
	@missing=""; \
	for p in $(SYSTEM_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing system packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "Missing system packages. Install them with:"; \
		echo "  sudo apt-get install -y$$missing"; \
		exit 1; \
	fi

test: setup
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/python -m pytest

# The central service's and the desktop sync's integration tests again, the session server on a throwaway
# PostgreSQL cluster (tests/pg_cluster.py). Installs Debian's postgresql when root and missing, and the
# `postgres` extra; where PostgreSQL cannot be had it says so and skips. Tests that never use the session
# server are left out, and the two that read SQLite's PRAGMAs have PostgreSQL forms in test_central_postgres.
PG_TESTS := tests/integration/test_central_*.py tests/integration/test_desktop_sync*.py \
	tests/integration/test_authorisation_matrix.py tests/integration/test_ingest_years.py \
	tests/integration/test_national_ingest.py
PG_SKIP := --ignore=tests/integration/test_central_admin_cmd.py \
	--ignore=tests/integration/test_central_setup_cmd.py --ignore=tests/integration/test_central_write_turns.py
PG_STAMP := $(VENV)/.postgres-installed

.PHONY: test-postgres

$(PG_STAMP): $(STAMP)
	@uv_bin=$$(command -v uv || echo .bootstrap/bin/uv); \
	VIRTUAL_ENV=$(abspath $(VENV)) $$uv_bin pip install --quiet --compile-bytecode -e '.[test,postgres]'
	@touch $(PG_STAMP)

test-postgres: $(PG_STAMP)
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory system-packages SYSTEM_PKGS="postgresql" || true; \
	fi; \
	if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "SKIPPED: the PostgreSQL tests need Debian's postgresql package, which is not installed and could"; \
		echo "not be installed here. Install it (sudo apt-get install -y postgresql) and run make test-postgres."; \
		exit 0; \
	fi; \
	CQRS_TEST_POSTGRES=1 QT_QPA_PLATFORM=offscreen $(VENV)/bin/python -m pytest -q $(PG_TESTS) $(PG_SKIP)

# The desktop app against its embedded central service, with the demo data kept in demo-data/.
# Without a display it runs under Xvfb and saves a screenshot of every view in out/ instead.
demo: setup
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(VENV)/bin/cqrs-desktop --demo --data-dir demo-data; \
	elif command -v xvfb-run >/dev/null; then \
		echo "No display found: running the demo under Xvfb and saving screenshots in out/"; \
		xvfb-run -a $(VENV)/bin/cqrs-desktop --demo --data-dir demo-data --screenshot out; \
	else \
		echo "No display found and xvfb-run is missing: run 'make demo' on a desktop."; exit 1; \
	fi

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .bootstrap .pytest_cache .ruff_cache demo-data out

# The one-folder bundle of this OS (dist/cqrs-desktop) and the installers' checks: see installers/.
BUNDLE_STAMP := $(VENV)/.bundle-installed
ICON_SIZES := 16 24 32 48 64 128 256 512
ICONS := resources/icons/cqrs-desktop.ico $(foreach size,$(ICON_SIZES),resources/icons/cqrs-desktop-$(size).png)
BUNDLE_PKGS := nsis

.PHONY: bundle test-bundle icons

$(BUNDLE_STAMP): $(STAMP)
	@uv_bin=$$(command -v uv || echo .bootstrap/bin/uv); \
	VIRTUAL_ENV=$(abspath $(VENV)) $$uv_bin pip install --quiet --compile-bytecode -e '.[test,bundle]'
	@touch $(BUNDLE_STAMP)

# PNG sizes and the ICO, drawn from the SVG master whenever it changes.
icons: $(ICONS)
$(ICONS) &: resources/icons/cqrs-desktop.svg installers/make_icons.py | $(STAMP)
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/python installers/make_icons.py

bundle: $(BUNDLE_STAMP) $(ICONS)
	LANG=C.UTF-8 $(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist \
		--workpath build/pyinstaller installers/cqrs-desktop.spec
	@du -sh dist/cqrs-desktop

# Builds the bundle, runs it offscreen (--version, the demo's screenshots, a site file) and compiles the
# Windows installer script with makensis, the bundle as its payload.
test-bundle: bundle
	@$(MAKE) --no-print-directory system-packages SYSTEM_PKGS="$(BUNDLE_PKGS)"
	CQRS_BUNDLE=$(abspath dist/cqrs-desktop) QT_QPA_PLATFORM=offscreen $(VENV)/bin/python -m pytest -q \
		tests/bundle
