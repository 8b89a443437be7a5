"""What a suite run produces: columns, one row per case, suite figures, and the run's outcome.

Every suite, however it scores, reports the same shape, so the report, the gates and the
comparison with the previous report need to know nothing about the suites themselves:

- ``columns`` are the table's criteria: rubric scores (1-5), pass/fail checks (1/0), or rates;
- ``cases`` are the rows: a score per column, a headline figure, whether the case passed and why not;
- ``failures`` are the items that fell short, when the rows group items (a labelled set's
  categories) rather than list them;
- ``metrics`` are the suite's figures (higher is better), ``tracked`` the ones the regression
  check compares with the previous report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["score", "check", "rate", "count"]
SuiteStatus = Literal["ran", "skipped", "error"]


@dataclass(frozen=True)
class Column:
    """One criterion of a suite's table: a rubric criterion, a check, or a rate."""

    id: str
    name: str
    kind: ColumnKind = "score"
    weight: float | None = None


@dataclass(frozen=True)
class Table:
    """A further table over a suite's cases: its columns read from each case's ``scores``."""

    title: str
    columns: list[Column]


@dataclass
class CaseResult:
    """One row: a case's score per column, its headline figure, and the reasons it fell short."""

    case_id: str
    scores: dict[str, float | None] = field(default_factory=dict)
    headline: float | None = None
    passed: bool = True
    reasons: list[str] = field(default_factory=list)
    judge: dict[str, float] | None = None
    title: str = ""

    def to_json(self) -> dict:
        data = {
            "id": self.case_id,
            "title": self.title,
            "headline": self.headline,
            "passed": self.passed,
            "scores": self.scores,
            "reasons": self.reasons,
        }
        if self.judge is not None:
            data["judge"] = self.judge
        return data


@dataclass
class SuiteResult:
    """A suite's table, figures and status (``error`` means the harness could not produce figures)."""

    name: str
    title: str
    status: SuiteStatus = "ran"
    columns: list[Column] = field(default_factory=list)
    cases: list[CaseResult] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    tracked: tuple[str, ...] = ()
    headline_name: str = "score"
    row_name: str = "Case"
    failures: list[CaseResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    tables: list[Table] = field(default_factory=list)

    @classmethod
    def skipped(cls, name: str, title: str, why: str) -> SuiteResult:
        return cls(name=name, title=title, status="skipped", notes=[why])

    @classmethod
    def failed(cls, name: str, title: str, error: str) -> SuiteResult:
        return cls(name=name, title=title, status="error", error=error)

    def worst(self, limit: int = 3) -> list[CaseResult]:
        """The cases (or items) that fell short, lowest headline first."""
        short = self.failures or [c for c in self.cases if not c.passed]
        return sorted(short, key=lambda c: (c.headline if c.headline is not None else float("-inf"), c.case_id))[:limit]

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "status": self.status,
            "error": self.error,
            "notes": self.notes,
            "headline_name": self.headline_name,
            "row_name": self.row_name,
            "columns": [
                {"id": c.id, "name": c.name, "kind": c.kind, **({"weight": c.weight} if c.weight is not None else {})}
                for c in self.columns
            ],
            "metrics": self.metrics,
            "tracked": list(self.tracked),
            "cases": [case.to_json() for case in self.cases],
            "failures": [case.to_json() for case in self.failures],
        }


@dataclass(frozen=True)
class GateResult:
    """One quality gate checked against this run."""

    suite: str
    metric: str
    minimum: float
    value: float | None
    label: str
    blocking: bool = True

    @property
    def held(self) -> bool:
        return self.value is not None and self.value >= self.minimum - 1e-9


@dataclass(frozen=True)
class Change:
    """A figure that moved since the previous report."""

    suite: str
    metric: str
    before: float
    now: float
    tracked: bool
    tolerance: float

    @property
    def delta(self) -> float:
        return self.now - self.before

    @property
    def regression(self) -> bool:
        return self.tracked and self.delta < -self.tolerance - 1e-9


@dataclass
class EvalOutcome:
    """A whole run: the suites, the gates, the comparison, the report texts and the exit code.

    ``exit_code`` is 0 when every gate holds and nothing regressed, 1 when quality falls short,
    2 when the harness itself failed (a suite could not run, a case could not be loaded).
    """

    suites: list[SuiteResult]
    gates: list[GateResult]
    changes: list[Change]
    exit_code: int
    verdict: str
    backend: str = "offline"
    previous: str | None = None
    harness_errors: list[str] = field(default_factory=list)
    markdown: str = ""
    json_text: str = ""
    as_json: bool = False

    @property
    def output(self) -> str:
        """What a front end prints: the JSON report with ``--json``, else the Markdown report."""
        return self.json_text if self.as_json else self.markdown

    @property
    def regressions(self) -> list[Change]:
        return [c for c in self.changes if c.regression]

    def suite(self, name: str) -> SuiteResult:
        return next(s for s in self.suites if s.name == name)
