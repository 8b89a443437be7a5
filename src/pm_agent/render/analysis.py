"""Readable text for analysis results (5 Whys, chain reviews, blame findings, action lints, scores).

Shared by the CLI and the MCP server so both show the same words.
"""

from __future__ import annotations

from pm_agent.data import table
from pm_agent.ingest.timeparse import format_utc
from pm_agent.models import ActionItem, ActionLint, BlamelessReport, ChainReview, Fishbone, RubricResult, WhyChain

# Words that open a sentence and read on after "Because" in lower case; any other first word (a name, "PayFast",
# "SDK") is kept as written.
LOWERED_LEADS = frozenset(
    "a an the it its this that these those there no none nothing our we they their each every some one".split()
)


def because_clause(because: str) -> str:
    """``because`` as the rest of a sentence opened by "Because": "The data states a cause: ..." reads "Because the
    data states a cause: ...", not "Because The data ..."."""
    first, space, rest = because.partition(" ")
    if first.lower() in LOWERED_LEADS and first[:1].isupper() and first[1:] == first[1:].lower():
        return first.lower() + space + rest
    return because


def why_chain_text(chain: WhyChain) -> str:
    lines = [f"Problem: {chain.problem}"]
    if chain.first_signal is not None:
        e = chain.first_signal
        lines.append(f"First signal: {format_utc(e.at) if e.at else e.time_text or 'undated'} {e.source}: {e.excerpt}")
    for branch in chain.branches:
        lines += ["", f"[{branch.label}]"]
        for number, step in enumerate(branch.steps, start=1):
            lines.append(f"  Why {number}: {step.why}")
            if step.question:
                lines.append(f"    Not established by the data. Ask: {step.question}")
                continue
            lines.append(f"    Because {because_clause(step.because)}")
            lines += [f"      evidence: {format_utc(e.at)} {e.source}: {e.excerpt}" for e in step.evidence]
            lines += [f"      fact: {fact}" for fact in step.facts]  # what the team stated, beside the data
            if not step.evidence and not step.facts:
                lines.append("      hypothesis, to confirm")
        if branch.root_cause:
            lines.append(f"  Systemic cause ({branch.systemic_kind}): {branch.root_cause}")
        else:
            lines.append(f"  Systemic cause: not established by the data. Ask: {branch.root_cause_question}")
    if chain.to_confirm:
        lines += ["", "Steps marked 'to confirm' need evidence before the chain is final."]
    return "\n".join(lines)


def chain_review_text(review: ChainReview) -> str:
    lines = ["The chain reaches a systemic cause." if review.ok else "The chain stops short of a systemic cause."]
    lines += [f"- {finding}" for finding in review.findings]
    if review.next_questions:
        lines += ["Ask next:"] + [f"- {question}" for question in review.next_questions]
    return "\n".join(lines)


def blameless_text(report: BlamelessReport) -> str:
    if not report.findings:
        return "No blame language found.\n\n" + report.rewritten
    lines = [f"{len(report.findings)} finding(s):"]
    for f in report.findings:
        lines.append(f'- [{f.category}] "{f.text}" (chars {f.start}-{f.end}): {f.why} Suggest: {f.suggestion}')
    lines += ["", "Rewritten:", report.rewritten]
    return "\n".join(lines)


def actions_text(actions: list[ActionItem]) -> str:
    lines = []
    for a in actions:
        due = a.due.isoformat() if a.due else "due date to set"
        lines.append(f"{a.id} [{a.priority or '-'} {a.hierarchy or '-'}] {a.title}")
        lines.append(
            f"    done when: {a.done_when or '-'} | owner: {a.owner or 'to assign'} | due: {due} | status: {a.status}"
        )
        if a.addresses:
            lines.append(f"    addresses: {a.addresses}")
    return "\n".join(lines) if lines else "No actions."


def action_lints_text(lints: list[ActionLint]) -> str:
    lines = []
    for lint in lints:
        verdict = "SMART" if lint.smart else "needs work"
        lines.append(f"- {lint.action.title}: {verdict}")
        lines += [f"    {p.code}: {p.message}" for p in lint.problems]
    passing = sum(1 for lint in lints if lint.smart)
    lines.append(f"{passing} of {len(lints)} action(s) are SMART.")
    return "\n".join(lines)


def rubric_text(result: RubricResult) -> str:
    verdict = "PASS" if result.passed else "BELOW PASS MARK"
    lines = [f"Weighted score {result.weighted_average:.2f} / 5 ({verdict}, pass mark {result.pass_mark})", ""]
    for c in result.criteria:
        lines.append(f"{c.name} (weight {c.weight}): {c.score:g}")
        lines += [f"    found: {e}" for e in c.evidence]
        lines += [f"    to raise it: {t}" for t in c.to_improve]
    return "\n".join(lines)


def fishbone_text(fishbone: Fishbone) -> str:
    """The fishbone (and fault tree, when built) in ```mermaid fences, with the grouped lists."""
    parts = [f"## Fishbone: {fishbone.problem}", "", "```mermaid", fishbone.mermaid, "```", ""]
    for name in table("fishbone")["categories"]:
        parts.append(f"### {name}")
        items = fishbone.categories.get(name) or []
        parts += [f"- {item}" for item in items] or ["- _None identified from the data yet._"]
        parts.append("")
    if fishbone.fault_tree_mermaid:
        parts += ["## Fault tree", "", "```mermaid", fishbone.fault_tree_mermaid, "```", ""]
    return "\n".join(parts)
