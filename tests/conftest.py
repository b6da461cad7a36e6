"""Test-wide settings: Qt renders offscreen (no display needed); hypothesis keeps nothing in the tree."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Hypothesis caches (constants, unicode data) go to a temporary folder, never into the working tree;
# every example database is off as well.
_hypothesis_home = tempfile.mkdtemp(prefix="cqrs-hypothesis-")
atexit.register(shutil.rmtree, _hypothesis_home, ignore_errors=True)

from hypothesis import settings as _hypothesis_settings  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402

set_hypothesis_home_dir(_hypothesis_home)
_hypothesis_settings.register_profile("cqrs", database=None)
_hypothesis_settings.load_profile("cqrs")
