"""A plan, and the wording every action builder shares: an action before owner, due date and priority are set.

:func:`to_action` turns a plan into an :class:`ActionItem` (owner a role or roster name, due date by horizon
from the incident date, priority from impact, horizon and severity). The helpers quote the data short and
whole-worded, and say what failed without its stated cause.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.actions.smart import due_date, owner_for, priority
from pm_agent.analysis.findings import cause_part, consequence_split
from pm_agent.analysis.quoting import sentences_of
from pm_agent.analysis.tagging import specific_stems
from pm_agent.models import ActionItem

QUOTE_WORDS = 12
LEAD_VERB_RE = re.compile(
    r"^(?:(?:investigated|checked|looked) and )?(?:discovered|found|concluded|identified|realised|realized|noticed|"
    r"confirmed|determined)\s+(?:that\s+)?",
    re.I,
)
FINDING_QUOTE_WORDS = 20
CLAUSE_RE = re.compile(r";\s*|:\s+")


def clause_parts(text: str) -> list[str]:
    """The clauses of each sentence of ``text``, cut at ';' and ': ' as the action builders read them, unstripped."""
    return [clause for sentence in sentences_of(text) for clause in CLAUSE_RE.split(sentence)]


PRONOUN_LED_RE = re.compile(r"^(?:it|this|that|they|these|those|which)\b", re.I)
# What somebody saw, was told or found is not a step taken, whatever verb it quotes ("pods restarted 3 times").
NOT_DONE_BY_ANYONE = ("alert", "report", "finding", "acknowledgement", "declaration")


@dataclass(frozen=True)
class Plan:
    """An action before owner, date and priority are set."""

    title: str
    done_when: str
    addresses: str
    area: str
    horizon: str
    hierarchy: str
    impact: str = "high"
    automated_check: bool = False


def what_failed(text: str) -> str:
    """What happened, without its stated cause: the part before "due to" (or before "failed: reason"), or after
    ", so"; no trailing "This is"."""
    match = vocab.CONNECTIVE.search(text)
    consequence = consequence_split(text) if match is None else None
    if consequence is not None:
        return consequence[1]
    if match is None and cause_part(text):
        match = re.search(r": ", text)
    head = text[: match.start()] if match else text
    head = re.sub(r"(?:\.\s*)?\b(?:this|it|which) (?:is|was)\s*$", "", head.strip(), flags=re.I)
    return re.sub(r"\s+(?:is|was|are|were|has been|have been|had been|been)\s*$", "", head.strip(), flags=re.I).strip(
        " ,.;:"
    )


def lower_article(phrase: str) -> str:
    """ "The fd count" -> "the fd count", inside a sentence we write."""
    head, _, rest = phrase.partition(" ")
    return f"{head.lower()} {rest}" if head in ("The", "A", "An", "Our", "Its", "Their") and rest else phrase


def names_something(phrase: str, words: int) -> bool:
    """A clause that names a component or mechanism: not led by a pronoun, with at least ``words`` specific words."""
    return bool(phrase) and not PRONOUN_LED_RE.match(phrase) and len(specific_stems(phrase)) >= words


def first_words(text: str, words: int = QUOTE_WORDS) -> str:
    """The first ``words`` words of ``text``, with an ellipsis where some were cut: a quote short enough for a title."""
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def to_action(
    plan: Plan, service: str | None, severity: str | None, incident_date: dt.date | None, roster: dict[str, str] | None
) -> ActionItem:
    """The action for ``plan``: owner from the roster or the area's role, due date and priority by horizon."""
    due, note = due_date(plan.horizon, incident_date)
    return ActionItem(
        title=plan.title,
        done_when=plan.done_when,
        owner=owner_for(plan.area, service, roster),
        due=due,
        due_note=note,
        horizon=plan.horizon,
        priority=priority(plan.impact, plan.horizon, severity),
        hierarchy=plan.hierarchy,
        addresses=plan.addresses,
        automated_check=plan.automated_check,
    )
