"""The retrieval suite: the memory's own leave-one-out evaluation, reported like the others.

The measurement is :func:`pm_agent.evals.leave_one_out.evaluate_retrieval` (the memory
issue's recipe: the curated rows of ``../shared/data/incidents.jsonl``, each queried against
all the others). Its figures depend on the embedder found on the machine (MiniLM, or the
lexical fallback), so they are reported and compared but not tracked for regressions.
"""

from __future__ import annotations

from pm_agent.evals.context import RunContext
from pm_agent.evals.results import CaseResult, Column, SuiteResult

K = 5
INCIDENTS_FILE = "incidents.jsonl"
TITLE = f"Retrieval: leave-one-out precision@{K}, hit@{K}, MRR on real incidents"


def run_retrieval(ctx: RunContext) -> SuiteResult:
    """Leave-one-out retrieval scores; skipped where ``../shared/data`` is absent."""
    path = ctx.shared_data / INCIDENTS_FILE
    if not path.is_file():
        return SuiteResult.skipped("retrieval", TITLE, f"{path} is not present")
    from pm_agent.evals.leave_one_out import evaluate_retrieval

    evaluation = evaluate_retrieval(path, k=K)
    rows = [
        CaseResult(
            case_id=variant.variant,
            scores={"precision_at_k": variant.precision_at_k, "hit_at_k": variant.hit_at_k, "mrr": variant.mrr},
            headline=variant.precision_at_k,
        )
        for variant in evaluation.results
    ]
    best = evaluation.results[-1]
    return SuiteResult(
        name="retrieval",
        title=TITLE,
        columns=[
            Column("precision_at_k", f"P@{K}", "rate"),
            Column("hit_at_k", f"hit@{K}", "rate"),
            Column("mrr", "MRR", "rate"),
        ],
        cases=rows,
        metrics={f"precision_at_{K}": best.precision_at_k, f"hit_at_{K}": best.hit_at_k, "mrr": best.mrr},
        headline_name=f"P@{K}",
        row_name="Variant",
        notes=[
            f"{evaluation.queries} queries (rows whose {evaluation.label_field} basis is '{evaluation.basis}'), "
            f"embedder {evaluation.embedder}.",
        ],
    )
