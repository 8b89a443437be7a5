"""What every suite runs with: the backend, where the cases and datasets are, the judge's k."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pm_agent.evals.cases import EvalError, default_shared_data
from pm_agent.settings import CHECKOUT_DIR, running_from_checkout

JUDGE_SAMPLES = 3


def default_datasets_dir() -> Path | None:
    """``evals/datasets`` of the source checkout, or None for an installed package."""
    folder = CHECKOUT_DIR / "evals" / "datasets"
    return folder if running_from_checkout() and folder.is_dir() else None


@dataclass
class RunContext:
    """The settings of one eval run, shared by its suites.

    ``model`` is the model backend for ``anthropic`` and ``replay`` runs (None offline): it
    rewrites each draft and judges it; the deterministic figures are computed either way.
    """

    backend: str = "offline"
    cases_dir: Path | None = None
    shared_data: Path = field(default_factory=default_shared_data)
    datasets_dir: Path | None = field(default_factory=default_datasets_dir)
    model: Any = None
    judge_samples: int = JUDGE_SAMPLES

    def dataset(self, name: str) -> list[dict[str, Any]]:
        """The rows of ``evals/datasets/<name>``: JSON Lines, blank lines skipped."""
        if self.datasets_dir is None:
            raise EvalError(
                "the labelled datasets (evals/datasets) ship with the source checkout only; run from a clone"
            )
        path = self.datasets_dir / name
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise EvalError(f"{path}: cannot read the dataset ({exc.strerror or exc})") from None
        rows = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalError(f"{path}:{number}: malformed JSON: {exc.msg}") from None
            if not isinstance(row, dict):
                raise EvalError(f"{path}:{number}: expected a JSON object")
            rows.append(row)
        if not rows:
            raise EvalError(f"{path}: the dataset is empty")
        return rows
