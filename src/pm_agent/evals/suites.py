"""The suites by name, each with its runner and its quality gates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pm_agent.evals.calibration import TITLE as RUBRIC_TITLE
from pm_agent.evals.calibration import run_rubric_calibration
from pm_agent.evals.context import RunContext
from pm_agent.evals.drafting import DRAFTING_TITLE, REAL_TITLE, run_drafting, run_real_incidents
from pm_agent.evals.gates import BLAMELESS_GATES, DRAFTING_GATES, RUBRIC_GATES, SUBSTANCE_GATES, Gate
from pm_agent.evals.labelled import run_actions, run_blameless, run_whys
from pm_agent.evals.results import SuiteResult
from pm_agent.evals.retrieval import TITLE as RETRIEVAL_TITLE
from pm_agent.evals.retrieval import run_retrieval


@dataclass(frozen=True)
class SuiteSpec:
    """A suite: its name, how to run it, and the gates its figures must hold."""

    name: str
    title: str
    run: Callable[[RunContext], SuiteResult]
    gates: tuple[Gate, ...] = ()


SUITES: dict[str, SuiteSpec] = {
    spec.name: spec
    for spec in (
        SuiteSpec("drafting", DRAFTING_TITLE, run_drafting, DRAFTING_GATES + SUBSTANCE_GATES),
        SuiteSpec("real-incidents", REAL_TITLE, run_real_incidents, DRAFTING_GATES + SUBSTANCE_GATES),
        SuiteSpec("whys", "5 Whys: the chain review on labelled chains", run_whys),
        SuiteSpec(
            "blameless", "Blameless: detection and rewriting on labelled sentences", run_blameless, BLAMELESS_GATES
        ),
        SuiteSpec("actions", "Actions: the SMART linter on labelled actions", run_actions),
        SuiteSpec("retrieval", RETRIEVAL_TITLE, run_retrieval),
        SuiteSpec("rubric", RUBRIC_TITLE, run_rubric_calibration, RUBRIC_GATES),
    )
}
DEFAULT_SUITES: tuple[str, ...] = tuple(SUITES)
