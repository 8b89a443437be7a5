"""The eval suite: how good pm-agent's output is, in numbers, and whether a change made it worse.

``run_eval(["drafting", "blameless"], report_path=Path("evals/REPORT.md"))`` runs suites, checks
their gates, compares with the previous saved report and returns an :class:`EvalOutcome` whose
``exit_code`` is 0 (gates hold), 1 (quality falls short) or 2 (the harness failed).
``python -m pm_agent.evals`` is the same from the command line; see ``evals/README.md``.
"""

from pm_agent.evals.results import EvalOutcome
from pm_agent.evals.runner import BACKENDS, EXIT_HARNESS, EXIT_PASSED, EXIT_QUALITY, run_eval
from pm_agent.evals.suites import DEFAULT_SUITES, SUITES

__all__ = [
    "BACKENDS",
    "DEFAULT_SUITES",
    "EXIT_HARNESS",
    "EXIT_PASSED",
    "EXIT_QUALITY",
    "SUITES",
    "EvalOutcome",
    "run_eval",
]
