"""Reviewing a why-chain someone wrote: does it stop at a person, or short of something the organisation can change?

Blame (a named person, 'human error', 'the engineer forgot') is flagged wherever it is; vague
stopping points ('a bug', 'config error', 'mistake', 'didn't follow the process', a bare event)
only at the last step, since the chain may go on past them. The rules are data, below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pm_agent.errors import InputError
from pm_agent.models import ChainReview

MIN_STEPS = 3


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


PERSON_QUESTIONS = (
    "What in the system made this action possible, or likely?",
    "What safeguard would have caught the action before it had an effect?",
)
HUMAN_VERBS = (
    r"(pushed|forgot|typed|clicked|missed|ignored|skipped|neglected|overlooked|approved|merged|"
    r"didn't|did not|should have|was careless|made a mistake|messed up)"
)
ROLE_VERBS = rf"({HUMAN_VERBS[1:-1]}|failed to|deleted|broke)"
NOT_NAMES = frozenset(
    "The A An It This That These Those We They Our Their There Nobody Someone Somebody Everyone Nothing "
    "No Because Then When Which What Who Why How Production Staging Prod Config Deploy Monitoring".split()
)
NAMED_PERSON = re.compile(rf"(?:^|\b[Bb]ecause\s+|\bby\s+)([A-Z][a-z]+(?:\s[A-Z][a-z]+)?)\s+{HUMAN_VERBS}\b")
NAMED_PERSON_POSSESSIVE = re.compile(r"\b([A-Z][a-z]+)'s\s+(mistake|fault|error|change|typo|bad)\b")
HANDLE = re.compile(r"@[A-Za-z0-9_.-]+")

STOP_RULES: tuple[StopRule, ...] = (
    StopRule(
        "human_error", _re(r"\b(human|operator|user|engineer|admin|pilot|manual) error\b|\bhuman factor\b"),
        "stops at 'human error', which explains nothing an organisation can change.", PERSON_QUESTIONS, False,
    ),
    StopRule(
        "role_blame",
        _re(rf"\b(he|she|the (engineer|developer|operator|admin|intern|on-?call|new hire|contractor)|someone)\s+{ROLE_VERBS}\b"),
        "makes a person's action the cause; ask what let the action have this effect.", PERSON_QUESTIONS, False,
    ),
    StopRule(
        "config_error", _re(r"\b(config(uration)? (error|mistake|issue|problem)|bad config\w*|misconfigur\w*|wrong (config\w*|settings?))\b"),
        "stops at a configuration error; ask what let an unvalidated configuration through.",
        ("What allowed an unvalidated config to reach production?", "Why did no test or check catch it before deploy?"),
        True,
    ),
    StopRule(
        "bug", _re(r"\b(a |the )?(software |code )?bugs?\b|\bdefect\b|\bcoding error\b"),
        "stops at 'a bug'; every system has bugs, so ask why this one reached users.",
        ("Why did no test catch the bug before release?",
         "What let the bug's effect reach users (no canary, no feature flag, no fast rollback)?"),
        True,
    ),
    StopRule(
        "mistake", _re(r"\b(mistake|oversight|careless\w*|negligen\w*|forgot|slip|lapse|wasn't careful|not careful)\b"),
        "stops at a mistake; mistakes are normal, so ask what let this one cause an incident.", PERSON_QUESTIONS, True,
    ),
    StopRule(
        "process_not_followed",
        _re(r"\b(didn't|did not|failed to|not|never) follow(ed)?\b[^.]{0,30}\b(process|procedure|runbook|checklist|policy)\b|"
            r"\b(process|procedure|runbook|checklist|policy) (was )?(not|never) followed\b|\bignored the (process|procedure|runbook)\b"),
        "stops at 'didn't follow the process'; ask why the process could be skipped.",
        ("Why could the step be skipped: is it enforced by tooling?",
         "What made following the process hard at that moment (time pressure, unclear or outdated steps)?"),
        True,
    ),
)
SYSTEMIC_MARKERS = _re(
    r"\b(no|not|without|missing|lack\w*|gap|absent|none|never)\b|\b(process|policy|checks?|tests?|alert\w*|runbook|"
    r"design|automat\w*|safeguard|review|monitor\w*|capacity plan|guard|gate|canary|validation|standard|limit)\b"
)
NOT_SYSTEMIC_FINDING = "stops at an event, not at something the organisation can change (a missing check, test, alert, limit or process)."
NOT_SYSTEMIC_QUESTIONS = ("What check, test or alert could have stopped this?", "Which part of the system made this possible?")
TOO_SHORT_QUESTION = "What allowed the last cause to happen, and what check could have stopped it?"


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
