"""``python -m pm_agent.evals [SUITE...] [--backend offline|anthropic|replay] [--cases DIR] [--report FILE.md] [--json]``.

The same arguments as ``pm-agent eval``. Prints the Markdown report (or the JSON one with
``--json``) and exits 0 when the gates hold, 1 when quality falls short, 2 when the harness failed.
Without ``--report`` or ``--previous`` it compares with the checkout's ``evals/report.json``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pm_agent.evals.runner import BACKENDS, run_eval
from pm_agent.evals.suites import SUITES
from pm_agent.settings import CHECKOUT_DIR, running_from_checkout


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The eval arguments, shared by ``python -m pm_agent.evals`` and ``pm-agent eval``."""
    parser.add_argument("suites", nargs="*", metavar="SUITE", help=f"suites to run (default: all): {', '.join(SUITES)}")
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        default="offline",
        help="offline (default); anthropic or replay also rewrite each draft with Claude and judge it",
    )
    parser.add_argument("--cases", type=Path, metavar="DIR", help="draft these case folders instead of evals/cases")
    parser.add_argument(
        "--report", type=Path, metavar="FILE.md", help="save the Markdown report here and the JSON beside it"
    )
    parser.add_argument(
        "--previous",
        type=Path,
        metavar="FILE.json",
        help="the saved JSON report to compare with (default: the one beside --report, else evals/report.json)",
    )
    parser.add_argument("--json", action="store_true", help="print the JSON report instead of the Markdown one")
    parser.add_argument(
        "--gates-report-only",
        action="append",
        default=[],
        metavar="SUITE[:METRIC]",
        help="print SUITE's substance gates (or the one gate SUITE:METRIC) without letting them fail "
        "the run (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pm_agent.evals",
        description="Run pm-agent's eval suites. Exit status: 0 the gates hold, 1 quality falls short, 2 the harness failed.",
    )
    add_arguments(parser)
    return parser


def default_previous() -> Path | None:
    """The checkout's committed ``evals/report.json``, when there is one."""
    path = CHECKOUT_DIR / "evals" / "report.json"
    return path if running_from_checkout() and path.is_file() else None


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Run the suites named in ``args``, print the report, and return the exit status."""
    previous = args.previous or (None if args.report else default_previous())
    from pm_agent.cli.output import progress

    outcome = run_eval(
        args.suites,
        backend=args.backend,
        cases_dir=args.cases,
        report_path=args.report,
        as_json=args.json,
        previous=previous,
        report_only=args.gates_report_only,
        progress=progress,
    )
    sys.stdout.write(outcome.output)
    timings = ", ".join(f"{s.name} {s.seconds:.1f} s" for s in outcome.suites)
    print(
        f"pm-agent eval: {outcome.verdict} (exit {outcome.exit_code}){'; ' + timings if timings else ''}",
        file=sys.stderr,
    )
    return outcome.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
