"""What let the failure through: the step asking why nothing caught it (:func:`safeguard_step`), the systemic
cause the data records or the question that would establish it (:func:`systemic`), the kind of gap a text names
(:func:`gap_kind`), and the clause of an event that records the gap (:func:`matching_clause`)."""

from __future__ import annotations

import re

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.evidence import Reading
from pm_agent.analysis.quoting import quote, said
from pm_agent.analysis.tagging import Tagged
from pm_agent.analysis.whys.steps import ask, cited
from pm_agent.models import WhyStep

GAP_KIND = (
    (re.compile(r"\b(?:alert\w*|monitor\w*|alarm\w*|observability|dashboards?)\b", re.I), "alert"),
    (re.compile(r"\b(?:tests?|tested|testing|staging|qa)\b", re.I), "test"),
    (re.compile(r"\b(?:capacity|limits?|quota|headroom)\b", re.I), "capacity"),
    (
        re.compile(r"\b(?:runbooks?|procedures?|documentation|documented|process|review|owner\w*|support)\b", re.I),
        "process",
    ),
)


def safeguard_step(
    reading: Reading, changed: Tagged | None, subject: str, already: tuple[Tagged | None, ...] = ()
) -> WhyStep:
    """Why nothing stopped it first: a safeguard gap or unintended change the data records, else the question of which
    check ``changed`` (the change that set it off, else the stated cause) got past. An event a step above already
    quoted (``already``) is quoted here by the clause that records the gap, not whole again."""
    why = f"Why was {subject} not caught earlier?"
    for tag, lead in (("gap", "a missing safeguard"), ("unintended", "the change as unintended")):
        found = next(iter(reading.tagged(tag)), None)
        if found is None:
            continue
        pattern = vocab.TAG_PATTERNS[tag]
        clause = matching_clause(found.text, pattern) if found in already else ""
        if clause:
            shown = said(found.event.model_copy(update={"text": clause}))
            return cited(why, f"The data records {lead} in the same event: {shown}.", found, focus=pattern)
        return cited(why, f"The data records {lead}: {said(found.event, pattern)}.", found, focus=pattern)
    if changed is None:
        return ask(why, f"Which check, alert or review could have caught {subject} sooner, and why did none?")
    return ask(
        why,
        f'Which check, test or review did "{_said(changed)}" pass before it took effect, and why did none of them '
        "catch it?",
    )


CLAUSE_SPLIT = re.compile(r"(?<=[.!?;])\s+")


COMMA_SPLIT = re.compile(r",\s+")


def matching_clause(text: str, pattern: re.Pattern[str]) -> str:
    """The clause of ``text`` that ``pattern`` matches ("the job exits with status 0 on failure" of "... since May 12;
    the job exits with status 0 on failure"; a comma's part where the text is one sentence; in one clause, the text
    from the words ``pattern`` matches on), or "" when that would be the whole text."""
    for splitter in (CLAUSE_SPLIT, COMMA_SPLIT):
        clauses = [c.strip(" .;,") for c in splitter.split(text.strip()) if c.strip(" .;,")]
        if len(clauses) >= 2:
            return next((c for c in clauses if pattern.search(c)), "")
    match = pattern.search(text)  # one clause: from the words that answer on ("unintended routing change ...")
    return text[match.start() :].strip(" .;,") if match is not None and match.start() > 0 else ""


def systemic(reading: Reading, cause: Tagged | None, subject: str) -> tuple[str, str, str]:
    """The systemic cause when the data states one (a recorded gap), else the question that would establish it."""
    gap = next(iter(reading.tagged("gap")), None)
    if gap is not None:
        return (
            f"The data records a missing safeguard: {said(gap.event, vocab.TAG_PATTERNS['gap'])}.",
            gap_kind(gap.text),
            "",
        )
    about = f'"{_said(cause)}"' if cause is not None else subject
    return (
        "",
        "unknown",
        (
            f"What in how this system is changed, tested or watched let {about} reach users, and who owns closing that gap?"
        ),
    )


def gap_kind(text: str) -> str:
    return next((kind for pattern, kind in GAP_KIND if pattern.search(text)), "safeguard")


def _said(tagged: Tagged) -> str:
    """The words of an event that carry its cause or its change, quoted."""
    focus = vocab.TAG_PATTERNS["cause_statement"] if tagged.has("cause_statement") else vocab.TAG_PATTERNS["change"]
    return quote(tagged.event, focus)
