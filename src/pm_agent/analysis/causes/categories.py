"""Cause categories shared by the memory and the reports: which kinds of cause a text talks about.

``classify_causes`` labels any text with the cause vocabulary below; the vector memory stores
these labels as metadata and the recurring-pattern report counts them. They label what a text is
about; they never decide what a draft says caused an incident.
"""

from __future__ import annotations

from pm_agent.analysis.causes import rules
from pm_agent.models import Incident

# The categories of the rule table, in its order, and "other" for a text none of them fits.
CAUSE_CATEGORIES: tuple[str, ...] = (*rules.CATEGORY_RULES, "other")


# --- categories -----------------------------------------------------------------------------


def cause_scores(text: str) -> dict[str, float]:
    """Weighted keyword score per category (only categories that scored above zero)."""
    scores: dict[str, float] = {}
    for category in rules.CATEGORY_RULES:
        score = category_score(text, category)
        if score > 0:
            scores[category] = score
    return scores


def category_score(text: str, category: str) -> float:
    """``cause_scores(text).get(category, 0.0)``, running only that category's patterns."""
    score = sum(
        weight * min(len(pattern.findall(text)), rules.PATTERN_COUNT_CAP)
        for pattern, weight in rules.CATEGORY_RULES.get(category, ())
    )
    return score if score > 0 else 0.0


def classify_causes(text: str, *, limit: int | None = None) -> list[str]:
    """Cause categories suggested by ``text``, strongest first; ``[]`` when nothing matches.

    Ties keep the vocabulary order, so the result is deterministic. ``limit`` keeps the top n.
    """
    scores = cause_scores(text or "")
    ranked = sorted(
        (c for c, s in scores.items() if s >= rules.CATEGORY_MIN_SCORE),
        key=lambda c: (-scores[c], CAUSE_CATEGORIES.index(c)),
    )
    return ranked[:limit] if limit is not None else ranked


def incident_text(incident: Incident) -> str:
    """The incident's words a classifier should see: title, services, events, notes."""
    return "\n".join([incident.title, *incident.services, *(e.text for e in incident.events), incident.notes])
