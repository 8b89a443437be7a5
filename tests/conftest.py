"""Shared test set-up: isolated state directories, the example incident, the shared real data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE = REPO / "examples" / "payments-outage.json"
SHARED_DATA = Path(os.environ.get("PM_AGENT_TEST_SHARED_DATA") or REPO.parent / "shared" / "data")
"""The real public incidents beside the checkout; ``PM_AGENT_TEST_SHARED_DATA=/nonexistent`` runs the suite as a
user's clone without them would."""


@pytest.fixture(autouse=True)
def isolated_state(tmp_path_factory, monkeypatch):
    """Keep every test away from the user's memory, drafts, queue and API keys."""
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("PM_AGENT_MEMORY_DIR", str(state / "memory"))
    monkeypatch.setenv("PM_AGENT_OUTPUT_DIR", str(state / "drafts"))
    monkeypatch.setenv("PM_AGENT_QUEUE_DIR", str(state / "queue"))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("PM_AGENT_CHROMA_URL", raising=False)
    monkeypatch.delenv("PM_AGENT_RAISE_ERRORS", raising=False)
    for name in (
        "TRACKER",
        "SLACK_TOKEN",
        "SLACK_CHANNEL",
        "SLACK_URL",
        "GITHUB_TOKEN",
        "GITHUB_REPO",
        "GITHUB_URL",
        "JIRA_URL",
        "JIRA_EMAIL",
        "JIRA_TOKEN",
        "JIRA_PROJECT",
    ):
        monkeypatch.delenv(f"PM_AGENT_{name}", raising=False)  # nothing is ever handed back to a real service


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data`` beside the repository; tests using it skip where it is absent."""
    if not (SHARED_DATA / "fulltext").is_dir():
        pytest.skip("../shared/data is not present on this machine")
    return SHARED_DATA


def fulltext_cases() -> list[str]:
    """Names of the real postmortems in ../shared/data/fulltext (empty where absent)."""
    folder = SHARED_DATA / "fulltext"
    if not folder.is_dir():
        return []
    return sorted(p.name.removesuffix(".input.json") for p in folder.glob("*.input.json"))


def fulltext_case_params() -> list:
    """The real postmortems as test parameters; where they are absent, one parameter that skips saying so (pytest's
    own skip for an empty set says only "got empty parameter set")."""
    reason = "needs the real incidents in ../shared/data/fulltext (not present on this machine)"
    return fulltext_cases() or [pytest.param("absent", marks=pytest.mark.skip(reason=reason))]


def load_real_incident(name: str):
    """A real case from ../shared/data/fulltext, read by pm-agent's own ingest."""
    from pm_agent.ingest import load_incident

    return load_incident([SHARED_DATA / "fulltext" / f"{name}.input.json"])


def _hypothesis_profile() -> None:
    """Reproducible property tests: derandomized, no example database (CI runs a fresh clone), no deadline
    (a 2-core machine drifts). ``HYPOTHESIS_PROFILE=explore`` searches with fresh randomness instead."""
    import os

    from hypothesis import HealthCheck, settings

    common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
    settings.register_profile("ci", max_examples=100, derandomize=True, database=None, print_blob=True, **common)
    settings.register_profile("explore", max_examples=1000, derandomize=False, **common)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


_hypothesis_profile()


@pytest.fixture
def env(tmp_path):
    """A pm-agent subprocess's environment: every folder under ``tmp_path``, the lexical embedding for speed (a test
    module may define its own ``env``)."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("PM_AGENT_")}
    return base | {
        "PM_AGENT_MEMORY_DIR": str(tmp_path / "memory"),
        "PM_AGENT_OUTPUT_DIR": str(tmp_path / "drafts"),
        "PM_AGENT_QUEUE_DIR": str(tmp_path / "queue"),
        "PM_AGENT_EMBEDDER": "lexical",
    }
