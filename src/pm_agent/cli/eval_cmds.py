"""``pm-agent eval retrieval``: leave-one-out retrieval quality of the incident memory."""

from __future__ import annotations

import argparse

from pm_agent.cli.output import emit, to_json


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``eval``."""
    evaluate = commands.add_parser("eval", help="measure pm-agent's quality on labelled data")
    sub = evaluate.add_subparsers(dest="eval_command", metavar="SUBCOMMAND", required=True)
    parser = sub.add_parser(
        "retrieval",
        help="leave-one-out precision@k, hit@k and MRR of memory search",
        description=(
            "Store the labelled rows of a JSON Lines file in a fresh temporary memory, query with each "
            "row's title and summary, rank all the others, and score how many of the top k share its label. "
            "The label is used only for scoring."
        ),
    )
    parser.add_argument("--incidents", required=True, metavar="FILE.jsonl", help="incidents, one JSON object a line")
    parser.add_argument("--label-field", default="category_primary", help="the label to score against")
    parser.add_argument(
        "--basis", default="source label",
        help="keep rows whose <label-field>_basis is this (default 'source label'); 'any' keeps every labelled row",
    )
    parser.add_argument("--k", type=int, default=5, help="cut-off for precision and hit rate (default 5)")
    parser.add_argument("--ablation", action="store_true", help="also score dense only, BM25 only and plain RRF")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run_retrieval)


def run_retrieval(args: argparse.Namespace) -> int:
    from pm_agent.errors import InputError
    from pm_agent.memory.retrieval_eval import evaluate_retrieval

    if args.k < 1:
        raise InputError("--k must be at least 1")
    result = evaluate_retrieval(
        args.incidents, label_field=args.label_field, basis=None if args.basis == "any" else args.basis,
        k=args.k, ablation=args.ablation,
    )
    emit(to_json(result) if args.json else result.markdown())
    return 0
