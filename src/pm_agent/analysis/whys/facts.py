"""Facts the user states (``--fact``) in the Five Whys: each answers the open step it speaks to
(:func:`place_facts`), and with no incident data they make the chain themselves (:func:`facts_branch`)."""

from __future__ import annotations

import re

from pm_agent.analysis.terms import content_stems, weight
from pm_agent.analysis.whys.safeguard import gap_kind
from pm_agent.analysis.whys.steps import ask, stated
from pm_agent.models import WhyBranch

GAP_FACT_RE = re.compile(
    r"\b(?:no|not|without|missing|lack\w*|never|nobody|none)\b[^.]{0,60}"
    r"\b(?:check|test\w*|canary|validat\w*|review\w*|alert\w*|gate|stage|limit|plan|runbook|monitor\w*|guard|"
    r"owner\w*|documentation|documented|procedure|process|staging|polic\w*)\b",
    re.IGNORECASE,
)


def place_facts(branches: list[WhyBranch], facts: list[str]) -> list[WhyBranch]:
    """Each stated fact answers the open step (or open root) it speaks to; the chain keeps its shape."""
    out = [b.model_copy(deep=True) for b in branches]
    for fact in facts:
        if not _answer(out, fact):  # nothing left open: kept, as what else the team knows, before the safeguard step
            trigger = out[0]
            trigger.steps.insert(max(len(trigger.steps) - 1, 1), stated("What else does the team know?", fact))
    for branch in out:
        branch_facts = [f for s in branch.steps for f in s.facts]
        gap = next((f for f in branch_facts if GAP_FACT_RE.search(f)), None)
        if not branch.root_cause and gap is not None:
            branch.root_cause, branch.root_cause_question, branch.systemic_kind = gap, "", gap_kind(gap)
    return out


def _answer(branches: list[WhyBranch], fact: str) -> bool:
    """Place ``fact``: beside the cited step it speaks to (it adds to what the data says there), else as the answer to
    the open step it speaks to (a tie, or no shared word, goes to the earlier step); False when no step is open."""
    fact_stems = {s for s in content_stems(fact) if weight(s) == 1.0}

    def overlap(text: str) -> int:
        return len(fact_stems & {s for s in content_stems(text) if weight(s) == 1.0})

    steps = [(b, i) for b in branches for i in range(len(b.steps))]
    open_scores = [
        (overlap(b.steps[i].question + " " + b.steps[i].why), n)
        for n, (b, i) in enumerate(steps)
        if b.steps[i].hypothesis
    ]
    cited_scores = [
        (overlap(b.steps[i].because + " " + " ".join(e.excerpt for e in b.steps[i].evidence)), n)
        for n, (b, i) in enumerate(steps)
        if not b.steps[i].hypothesis and not b.steps[i].facts
    ]
    best_open = max((score for score, _ in open_scores), default=0)
    best_cited = max((score for score, _ in cited_scores), default=0)
    if best_cited >= 2 and best_cited > best_open:
        # among steps citing the same words, the deeper one (the reason, not the event) takes the fact
        branch, index = steps[[n for score, n in cited_scores if score == best_cited][-1]]
        step = branch.steps[index]
        branch.steps[index] = step.model_copy(update={"facts": [*step.facts, fact]})
        return True
    if not open_scores:
        return False
    # A fact that names no step's words is taken as the answer to the first open question, usually the mechanism.
    chosen = next(n for score, n in open_scores if score == best_open)
    branch, index = steps[chosen]
    branch.steps[index] = stated(branch.steps[index].why, fact)
    return True


def facts_branch(problem: str, facts: list[str]) -> WhyBranch:
    """A problem with no incident data: the stated facts in order, then what is still open."""
    why = f"Why did this happen: {problem.rstrip('.?! ')}?"
    steps = [stated(why if i == 0 else "And why did that happen?", fact) for i, fact in enumerate(facts)]
    if not steps:
        steps.append(ask(why, "What was the first sign of the problem, and what changed just before it?"))
    steps.append(
        ask("What let it reach users?", "Which check, test, alert or review would have stopped it, and why did it not?")
    )
    gap = next((f for f in facts if GAP_FACT_RE.search(f)), None)
    return WhyBranch(
        label="trigger",
        steps=steps,
        root_cause=gap or "",
        systemic_kind=gap_kind(gap) if gap else "unknown",
        root_cause_question="" if gap else "What gap in the system or process let this happen, and who owns it?",
    )
