"""``pm-agent eval``: the eval suites, and the standalone retrieval evaluation on any JSON Lines file.

``pm-agent eval [SUITE...]`` runs the suites (exit 0 gates hold, 1 quality falls short, 2 harness
failed). ``pm-agent eval retrieval --incidents FILE.jsonl`` scores memory search leave-one-out on
the labelled rows of that file.
"""

from __future__ import annotations

import argparse

from pm_agent.cli.output import emit, to_json
from pm_agent.errors import InputError
from pm_agent.service import PostmortemService


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``eval``."""
    from pm_agent.evals.__main__ import add_arguments

    parser = commands.add_parser(
        "eval",
        help="measure pm-agent's quality: drafting, whys, blameless, actions, retrieval",
        description=(
            "Run the eval suites and print a report (exit 0 when the gates hold, 1 when quality falls short, "
            "2 when the harness failed). With --incidents FILE.jsonl, 'eval retrieval' instead stores the labelled "
            "rows in a fresh temporary memory, queries with each row's title and summary, and scores how many of "
            "the top k share its label (leave-one-out; the label is used only for scoring)."
        ),
    )
    add_arguments(parser)
    retrieval = parser.add_argument_group("retrieval on your own incidents (with 'retrieval --incidents')")
    retrieval.add_argument("--incidents", metavar="FILE.jsonl", help="incidents, one JSON object a line")
    retrieval.add_argument("--label-field", default="category_primary", help="the label to score against")
    retrieval.add_argument(
        "--basis",
        default="source label",
        help="keep rows whose <label-field>_basis is this (default 'source label'); 'any' keeps every labelled row",
    )
    retrieval.add_argument("--k", type=int, default=5, help="cut-off for precision and hit rate (default 5)")
    retrieval.add_argument("--ablation", action="store_true", help="also score dense only, BM25 only and plain RRF")
    retrieval.add_argument(
        "--among-all",
        action="store_true",
        help="rank each query among every row of the file, not only the other curated ones",
    )
    parser.set_defaults(handler=run_eval_command)


def run_eval_command(args: argparse.Namespace, service: PostmortemService) -> int:
    if args.incidents:
        if args.suites not in ([], ["retrieval"]):
            raise InputError("--incidents goes with the retrieval suite only: pm-agent eval retrieval --incidents FILE")
        return run_retrieval(args, service)
    from pm_agent.evals.__main__ import run

    return run(args)


def run_retrieval(args: argparse.Namespace, service: PostmortemService) -> int:
    from pm_agent.evals.leave_one_out import evaluate_retrieval

    if args.k < 1:
        raise InputError("--k must be at least 1")
    result = evaluate_retrieval(
        args.incidents,
        label_field=args.label_field,
        basis=None if args.basis == "any" else args.basis,
        k=args.k,
        ablation=args.ablation,
        among_all=args.among_all,
        settings=service.settings,
    )
    emit(to_json(result) if args.json else result.markdown())
    return 0
