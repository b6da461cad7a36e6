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
	@uv_bin=$$(command -v uv || true); \
	if [ -z "$$uv_bin" ]; then \
		echo "uv not found: installing it into .bootstrap/"; \
		$(PYTHON) -m venv .bootstrap && .bootstrap/bin/pip install --quiet uv && uv_bin=.bootstrap/bin/uv; \
	fi; \
	[ -x $(VENV)/bin/python ] || $$uv_bin venv --quiet --python $(PYTHON) $(VENV); \
	VIRTUAL_ENV=$(abspath $(VENV)) $$uv_bin pip install --quiet --compile-bytecode -e '.[test]'
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

demo: setup
	@echo "The desktop app's demo mode arrives with the desktop shell. Meanwhile, try the calculator"
	@echo "and the central service with the demo data:"
	@echo "  $(VENV)/bin/cqrs-central calculate resources/examples/extract-2025-26.csv"
	@echo "  $(VENV)/bin/cqrs-central --data-dir demo-data seed-demo"
	@echo "  $(VENV)/bin/cqrs-central --data-dir demo-data serve --self-signed"

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .bootstrap .pytest_cache .ruff_cache
