"""Running the eval: the suites asked for, their gates, the comparison, the report, the exit code.

Exit status: **0** when every gate holds and no tracked figure regressed; **1** when quality
falls short (a gate failed, or a tracked figure dropped by more than the tolerance since the
previous report); **2** when the harness itself failed (an unknown suite or backend, a case or
dataset that cannot be read, a suite that raised, a model backend that did not answer).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pm_agent.errors import PmAgentError
from pm_agent.evals.cases import EvalError
from pm_agent.evals.context import RunContext
from pm_agent.evals.gates import TOLERANCE, check_gates, compare, load_previous
from pm_agent.evals.report import to_json, to_markdown
from pm_agent.evals.results import EvalOutcome, GateResult, SuiteResult
from pm_agent.evals.suites import DEFAULT_SUITES, SUITES, SuiteSpec
from pm_agent.settings import CHECKOUT_DIR, Settings

BACKENDS = ("offline", "anthropic", "replay")
EXIT_PASSED, EXIT_QUALITY, EXIT_HARNESS = 0, 1, 2
log = logging.getLogger("pm_agent.evals")
Progress = Callable[..., Iterable[SuiteSpec]]
"""Wraps the suites as they run: ``progress(specs, total, label, describe=...)``, like ``pm_agent.cli.output.progress``."""


def run_eval(
    suites: Sequence[str],
    *,
    backend: str = "offline",
    cases_dir: Path | None = None,
    report_path: Path | None = None,
    as_json: bool = False,
    previous: Path | None = None,
    report_only: Sequence[str] = (),
    progress: Progress | None = None,
) -> EvalOutcome:
    """Run ``suites`` (all offline suites when empty) and return the outcome with its exit code.

    ``report_only`` names suites whose substance gates are printed but cannot fail the run, or single gates as
    ``SUITE:METRIC`` (any gate, substance or not).

    ``cases_dir`` replaces the project's cases in the drafting suite. ``report_path`` saves the
    Markdown report there and the JSON beside it (``REPORT.md`` -> ``report.json``). The run is
    compared with ``previous``, by default the JSON beside ``report_path`` as it was before this run.
    """
    names = list(suites) or list(DEFAULT_SUITES)
    unknown = [n for n in [*names, *ReportOnly.parse(report_only).suites] if n not in SUITES]
    if unknown:
        return _harness_failure(f"unknown suite(s) {', '.join(unknown)}; known: {', '.join(SUITES)}", backend, as_json)
    if backend not in BACKENDS:
        return _harness_failure(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}", backend, as_json)
    json_path = json_report_path(report_path) if report_path else None
    if previous is not None and not Path(previous).is_file():
        return _harness_failure(f"{previous}: no such previous report to compare with", backend, as_json)
    try:
        before = load_previous(previous or json_path)
        ctx = RunContext(
            backend=backend, cases_dir=Path(cases_dir) if cases_dir else None, model=model_backend(backend)
        )
    except PmAgentError as exc:
        return _harness_failure(str(exc), backend, as_json)
    label = str(previous or json_path) if before is not None else None
    outcome = evaluate(
        [SUITES[n] for n in dict.fromkeys(names)],
        ctx,
        before,
        previous_label=label,
        as_json=as_json,
        report_only=report_only,
        progress=progress,
    )
    if report_path:
        save(outcome, Path(report_path))
    return outcome


def evaluate(
    specs: Sequence[SuiteSpec],
    ctx: RunContext,
    previous: dict | None = None,
    *,
    previous_label: str | None = None,
    as_json: bool = False,
    tolerance: float = TOLERANCE,
    report_only: Sequence[str] = (),
    progress: Progress | None = None,
) -> EvalOutcome:
    """Run the given suites in ``ctx`` and judge the outcome; any suite may be a synthetic one. ``progress`` wraps
    the suites as they run (a bar on a terminal)."""
    shown = progress(specs, len(specs), "eval", describe=lambda spec: spec.name) if progress else specs
    results = [run_suite(spec, ctx) for spec in shown]
    reported = ReportOnly.parse(report_only)
    gates = [
        gate
        for spec, result in zip(specs, results, strict=True)
        for gate in check_gates(
            result, spec.gates, report_only=reported.whole(spec.name), reported=reported.gates(spec.name)
        )
    ]
    changes = compare(results, previous, tolerance)
    errors = [f"{r.name}: {r.error}" for r in results if r.status == "error"]
    outcome = EvalOutcome(
        suites=results,
        gates=gates,
        changes=changes,
        exit_code=EXIT_PASSED,
        verdict="",
        backend=ctx.backend,
        previous=previous_label if previous is not None else None,
        harness_errors=errors,
        as_json=as_json,
    )
    outcome.exit_code, outcome.verdict = judge(outcome)
    outcome.markdown = to_markdown(outcome)
    outcome.json_text = to_json(outcome, tolerance)
    return outcome


@dataclass(frozen=True)
class ReportOnly:
    """The ``--gates-report-only`` values, each ``SUITE`` (its substance gates) or ``SUITE:METRIC`` (one gate)."""

    entries: tuple[tuple[str, str | None], ...]

    @classmethod
    def parse(cls, values: Sequence[str]) -> ReportOnly:
        """Each value as (suite, metric), the metric None for a whole suite."""
        return cls(tuple((v.split(":", 1)[0], v.split(":", 1)[1] if ":" in v else None) for v in values))

    @property
    def suites(self) -> list[str]:
        """Every suite named, in the order given."""
        return [suite for suite, _ in self.entries]

    def whole(self, suite: str) -> bool:
        """True when ``suite``'s substance gates are all reported only."""
        return (suite, None) in self.entries

    def gates(self, suite: str) -> frozenset[str]:
        """The metrics of ``suite`` whose gates are reported only."""
        return frozenset(metric for name, metric in self.entries if name == suite and metric is not None)


def run_suite(spec: SuiteSpec, ctx: RunContext) -> SuiteResult:
    """One suite's result; anything it raises makes it a harness error, never a quality figure."""
    started = time.perf_counter()
    try:
        result = spec.run(ctx)
    except PmAgentError as exc:
        result = SuiteResult.failed(spec.name, spec.title, str(exc))
    except Exception as exc:  # a crashing suite must become exit status 2, not a traceback
        log.exception("suite %s raised", spec.name)
        result = SuiteResult.failed(spec.name, spec.title, f"{type(exc).__name__}: {exc}")
    result.seconds = time.perf_counter() - started
    return result


def judge(outcome: EvalOutcome) -> tuple[int, str]:
    """The exit code and a one-line verdict: harness errors first, then failed gates and regressions."""
    if outcome.harness_errors:
        return EXIT_HARNESS, "the harness failed: " + "; ".join(outcome.harness_errors)
    failed = [g for g in outcome.gates if not g.held and g.blocking]
    regressions = outcome.regressions
    skipped = [f"{s.name} ({'; '.join(s.notes)})" for s in outcome.suites if s.status == "skipped"]
    tail = f"; skipped: {', '.join(skipped)}" if skipped else ""
    if failed or regressions:
        parts = [f"{g.suite} {g.metric} {_value(g)} < {g.minimum:g}" for g in failed]
        parts += [f"{c.suite} {c.metric} fell {c.before:.3f} -> {c.now:.3f}" for c in regressions]
        return EXIT_QUALITY, "quality falls short: " + "; ".join(parts) + tail
    ran = [s.name for s in outcome.suites if s.status == "ran"]
    if not ran:
        return EXIT_PASSED, "no suite ran" + tail
    reported = sorted({g.suite for g in outcome.gates if not g.held and not g.blocking})
    note = f" (gates of {', '.join(reported)} fall short, reported only)" if reported else ""
    return EXIT_PASSED, f"the gates hold ({', '.join(ran)}){note}{tail}"


def json_report_path(report_path: Path) -> Path:
    """Where the JSON report goes beside the Markdown one: ``REPORT.md`` -> ``report.json``."""
    report_path = Path(report_path)
    return report_path.with_name(report_path.stem.lower() + ".json")


def save(outcome: EvalOutcome, report_path: Path) -> None:
    """Write the Markdown report and the JSON beside it."""
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(outcome.markdown, encoding="utf-8")
    json_report_path(report_path).write_text(outcome.json_text, encoding="utf-8")


def model_backend(name: str):
    """The model backend of an ``anthropic`` or ``replay`` run (None offline).

    ``replay`` answers from recorded cassettes (``PM_AGENT_CASSETTE_DIR``, by default
    ``evals/cassettes``) and never touches the network; a missing recording is a harness error.
    """
    if name == "offline":
        return None
    from pm_agent.backends.select import anthropic_backend

    settings = Settings()
    if name == "replay":
        folder = settings.cassette_dir or CHECKOUT_DIR / "evals" / "cassettes"
        settings = settings.model_copy(update={"cassette_mode": "replay", "cassette_dir": folder})
    try:
        return anthropic_backend(settings)
    except PmAgentError:
        raise
    except Exception as exc:  # e.g. the SDK missing: the run cannot be made
        raise EvalError(f"the {name} backend cannot be built: {type(exc).__name__}: {exc}") from None


def _harness_failure(message: str, backend: str, as_json: bool) -> EvalOutcome:
    outcome = EvalOutcome(
        suites=[],
        gates=[],
        changes=[],
        exit_code=EXIT_HARNESS,
        verdict=f"the harness failed: {message}",
        backend=backend,
        harness_errors=[message],
        as_json=as_json,
    )
    outcome.markdown = to_markdown(outcome)
    outcome.json_text = to_json(outcome, TOLERANCE)
    return outcome


def _value(gate: GateResult) -> str:
    return "missing" if gate.value is None else f"{gate.value:.3f}"
