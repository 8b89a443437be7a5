"""The recovery branch of the Five Whys: why recovery took as long as it did, when an attempt to recover failed,
was held up or had to be run again before the impact stopped."""

from __future__ import annotations

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.evidence import Reading
from pm_agent.analysis.findings import cause_part
from pm_agent.analysis.quoting import EXCERPT_LIMIT, quote, said
from pm_agent.analysis.whys.steps import ask, cited
from pm_agent.ingest.timeparse import format_minutes
from pm_agent.models import WhyBranch


def recovery_branch(reading: Reading) -> WhyBranch | None:
    """When an attempt to recover failed, was held up, or had to be run again, before the impact stopped: a job re-run
    once users were no longer affected is clean-up, not what made recovery take long."""
    failed = [a.step for a in reading.attempts if a.outcome == "failed"]
    held = [
        t
        for t in reading.tagged("blocked", "retry", dated_only=True)
        if not t.has("report", "alert", "observation") and (reading.detected is None or t.at >= reading.detected)
    ]
    hurdles = [
        t
        for t in dict.fromkeys([*failed, *held])
        if reading.mitigated is None or t.at is None or t.at <= reading.mitigated
    ]
    if not hurdles:
        return None
    first = hurdles[0]
    took = ""
    if reading.started and reading.mitigated:
        took = f" ({format_minutes((reading.mitigated - reading.started).total_seconds() / 60)} from the start)"
    steps = [
        cited(
            f"Why did recovery take as long as it did{took}?",
            f"A step did not go as planned: {said(first.event)}.",
            first,
        )
    ]
    reason = cause_part(first.text, limit=EXCERPT_LIMIT)
    if reason:  # the reason alone: the step itself was quoted one line up
        steps.append(
            cited(
                "Why did that step not work?",
                f"The data says why: {said(first.event.model_copy(update={'text': reason}))}.",
                first,
                focus=vocab.CONNECTIVE,
            )
        )
    else:
        steps.append(ask("Why did that step not work?", f'What stopped "{quote(first.event)}"? The data does not say.'))
    return WhyBranch(
        label="recovery",
        steps=steps,
        systemic_kind="unknown",
        root_cause_question=f'What would have let "{quote(first.event)}" work the first time?',
    )
