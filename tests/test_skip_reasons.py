"""A clone without ../shared/data skips the real-incident tests saying what they need, not "got empty parameter set"."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO


def test_the_real_incident_tests_skip_naming_the_data_they_need(tmp_path):
    env = os.environ | {"PM_AGENT_TEST_SHARED_DATA": str(tmp_path / "absent"), "PYTHONPATH": str(REPO / "src")}
    files = [
        "tests/test_real_incidents.py",
        "tests/test_actions.py",
        "tests/test_causes.py",
        "tests/test_fishbone.py",
        "tests/test_five_whys.py",
    ]

    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-k", "real or fulltext", *files]
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)

    skips = [line for line in run.stdout.splitlines() if line.startswith("SKIPPED")]
    assert run.returncode == 0, run.stdout[-2000:]
    assert skips, run.stdout[-2000:]
    assert not [line for line in skips if "empty parameter set" in line]
    assert all(
        line.endswith("../shared/data is not present on this machine")
        or line.endswith("needs the real incidents in ../shared/data/fulltext (not present on this machine)")
        for line in skips
    ), skips
