"""Reviewing a why-chain someone wrote: does it stop at a person, or short of something the organisation can change?

Blame (a named person, 'human error', 'the engineer forgot') is flagged wherever it is; vague
stopping points ('a bug', 'config error', 'mistake', 'didn't follow the process', a bare event)
only at the last step, since the chain may go on past them. The rules (where a chain should not stop, the
findings and the questions to ask instead) are phrases and word lists, so they are data:
``pm_agent/data/why_review.toml``, read once when this module loads. The two patterns that find a named person
stay here, as code: they are built from the verb lists with look-arounds of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pm_agent.data import table
from pm_agent.errors import InputError
from pm_agent.models import ChainReview

_TABLE = table("why_review")
MIN_STEPS: int = _TABLE["min_steps"]


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@dataclass(frozen=True)
class StopRule:
    """A place a why-chain should not stop (``last_only``) or should never go (anywhere)."""

    code: str
    pattern: re.Pattern[str]
    finding: str
    questions: tuple[str, ...]
    last_only: bool


PERSON_QUESTIONS: tuple[str, ...] = _TABLE["person_questions"]
HUMAN_VERBS = "(" + "|".join(_TABLE["human_verbs"]) + ")"
ROLE_VERBS = "(" + "|".join(_TABLE["human_verbs"] + _TABLE["role_only_verbs"]) + ")"
NOT_NAMES = frozenset(_TABLE["not_names"])
NAMED_PERSON = re.compile(rf"(?:^|\b[Bb]ecause\s+|\bby\s+)([A-Z][a-z]+(?:\s[A-Z][a-z]+)?)\s+{HUMAN_VERBS}\b")
NAMED_PERSON_POSSESSIVE = re.compile(r"\b([A-Z][a-z]+)'s\s+(mistake|fault|error|change|typo|bad)\b")
HANDLE = re.compile(r"@[A-Za-z0-9_.-]+")

STOP_RULES: tuple[StopRule, ...] = tuple(
    StopRule(
        rule["code"],
        _re(rule["pattern"].replace("{role_verbs}", ROLE_VERBS)),
        rule["finding"],
        rule["questions"] or PERSON_QUESTIONS,
        rule["last_only"],
    )
    for rule in _TABLE["stop_rule"]
)
SYSTEMIC_MARKERS = _re(_TABLE["systemic_markers"])
NOT_SYSTEMIC_FINDING: str = _TABLE["not_systemic_finding"]
NOT_SYSTEMIC_QUESTIONS: tuple[str, ...] = _TABLE["not_systemic_questions"]
TOO_SHORT_QUESTION: str = _TABLE["too_short_question"]


# --- reviewing a chain ----------------------------------------------------------------------


def review_chain(steps: list[str]) -> ChainReview:
    """Check a user's chain (one 'because' per item): flag stops at people or vague causes.

    Blame (a named person, 'human error', 'the engineer forgot') is flagged wherever it is;
    vague stopping points ('a bug', 'config error', 'mistake', 'didn't follow the process',
    or a bare event) only at the last step, since the chain may go on past them.
    """
    items = [s.strip() for s in steps or [] if s and s.strip()]
    if not items:
        raise InputError("the chain is empty; give one 'because' per line")
    findings: list[str] = []
    questions: list[str] = []
    if len(items) < MIN_STEPS:
        findings.append(
            f"The chain has {len(items)} step{'s' if len(items) > 1 else ''}; keep asking why until it reaches "
            "a cause the organisation can fix (usually three or more steps)."
        )
        questions.append(TOO_SHORT_QUESTION)
    last = len(items) - 1
    for index, step in enumerate(items):
        for finding, step_questions in _step_findings(step, is_last=index == last):
            findings.append(f"Step {index + 1} {finding}")
            questions += [q for q in step_questions if q not in questions]
    return ChainReview(ok=not findings, findings=findings, next_questions=questions)


def _step_findings(step: str, *, is_last: bool) -> list[tuple[str, tuple[str, ...]]]:
    found = []
    name = _named_person(step)
    if name:
        found.append(
            (
                f'names a person as the cause ("{name}"); '
                "ask what in the system made the action possible, not who did it.",
                PERSON_QUESTIONS,
            )
        )
    for rule in STOP_RULES:
        if (is_last or not rule.last_only) and rule.pattern.search(step):
            found.append((rule.finding, rule.questions))
    if is_last and not found and not SYSTEMIC_MARKERS.search(step):
        found.append((NOT_SYSTEMIC_FINDING, NOT_SYSTEMIC_QUESTIONS))
    return found


def _named_person(step: str) -> str | None:
    """A person's name or handle used as the subject of a cause ("because Bob pushed...")."""
    handle = HANDLE.search(step)
    if handle:
        return handle.group()
    for pattern in (NAMED_PERSON, NAMED_PERSON_POSSESSIVE):
        for match in pattern.finditer(step):
            name = match.group(1)
            if name.split()[0] not in NOT_NAMES:
                return name
    return None
