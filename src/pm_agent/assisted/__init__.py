"""Model-backed use cases: each takes the offline result and a backend, and returns the model's
result after the same deterministic checks, or the offline result with a note saying why.

The front ends call these only when the chosen backend is not offline (they return the offline
result unchanged for the offline backend anyway).
"""

from pm_agent.assisted.analysis import (
    ActionPlan,
    BlamelessText,
    actions_request,
    assisted_actions,
    assisted_five_whys,
    assisted_rewrite,
    five_whys_request,
    rewrite_request,
)
from pm_agent.assisted.draft import DraftSections, assisted_draft, draft_request
from pm_agent.assisted.judge import JudgeResult, judge_request, judge_rubric

__all__ = [
    "ActionPlan",
    "BlamelessText",
    "DraftSections",
    "JudgeResult",
    "actions_request",
    "assisted_actions",
    "assisted_draft",
    "assisted_five_whys",
    "assisted_rewrite",
    "draft_request",
    "five_whys_request",
    "judge_request",
    "judge_rubric",
    "rewrite_request",
]
