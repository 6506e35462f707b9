"""Test-suite set-up.

- Make ``tests/`` helpers importable under ``--import-mode=importlib``.
- Load the hypothesis profile from :mod:`gradcheck.strategies`: ``"ci"`` when
  the environment variable ``CI`` is set, ``"dev"`` (fewer examples) otherwise;
  both deterministic (``derandomize=True``, no example database, no deadline),
  so a run is reproducible. ``HYPOTHESIS_PROFILE=ci`` forces one by name.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gradcheck.strategies import load_profile

sys.path.insert(0, str(Path(__file__).parent))

load_profile()
