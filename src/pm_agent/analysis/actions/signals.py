"""The signal the data shows before the failure was detected: what an alert should have watched.

A detection action is worth writing only about something the data states: a trend ("memory grows steadily since
v5.2.0", "disk usage climbing 2% a day"), a figure against what it should be ("row count 1.2M vs 1.9M expected") or
a reading taken before anyone was paged ("index node disk at 81%"). :func:`early_signal` finds the first such clause,
in the vocabulary's words (the ``trend``, ``growth``, ``deviation``, ``symptom`` and ``limit_reached`` tags and
:data:`~pm_agent.analysis.vocabulary.TREND_PACE`), and never one that the first alert already watched: an alert on
a signal that paged first would change nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.actions.plan import clause_parts, lower_article
from pm_agent.analysis.evidence import Reading
from pm_agent.analysis.quoting import cite, quote
from pm_agent.analysis.tagging import Tagged, paged_by_person, passed_on_by_a_person, specific_stems
from pm_agent.models import TimelineEvent, UndatedEvent

# The tags that say an event shows the failure coming, and those whose words say it moves one way over time.
SIGNAL_TAGS = ("trend", "growth", "deviation", "symptom", "limit_reached", "observation")
MOVING_TAGS = ("trend", "growth")
DATED_TAGS = (*MOVING_TAGS, "deviation")  # what can carry a pace or a past value, so predate what it was seen after
# An event carrying one of these is how the failure reached people or a step taken, not a reading of the system.
NOT_A_READING = (
    "alert",
    "report",
    "declaration",
    "acknowledgement",
    "mitigation",
    "recovery",
    "resolution",
    "communication",
    "followup",
    "investigation",
)
_PACE_RE = re.compile(vocab.TREND_PACE, re.IGNORECASE)
_MOVING_RE = re.compile("|".join(f"(?:{vocab.TAG_PATTERNS[tag].pattern})" for tag in MOVING_TAGS), re.IGNORECASE)
_DEVIATION_RE = vocab.TAG_PATTERNS["deviation"]
_FAILING_RE = re.compile(
    "|".join(f"(?:{vocab.TAG_PATTERNS[tag].pattern})" for tag in ("symptom", "limit_reached")), re.IGNORECASE
)
_FIGURE_RE = re.compile(r"\d")
_LOAD_ROSE_RE = re.compile(vocab.LOAD_ROSE, re.IGNORECASE)
# Where a reading's subject ends: its verb, a figure, a comparison ("index node disk | at 81%").
_SUBJECT_END_RE = re.compile(
    r"\s+(?:is|are|was|were|has|have|had|at|vs\.?|versus|above|below|over|under|now|still|keeps?|kept|of)\b|"
    r"\s*\(|\s+\d|,",
    re.IGNORECASE,
)
_POSSESSIVE_RE = re.compile(r"^(?:the|their|its|our|his|her|my|your)\s+", re.IGNORECASE)
# Who told the team, before what they saw: "a customer reporting (that) ...", "support is getting reports that ...".
_REPORTED_LEAD_RE = re.compile(
    r"^.{0,60}\b(?:report(?:s|ed|ing)?|say(?:s|ing)?|said|saw|see(?:s|ing)?|notic(?:e|es|ed|ing)|wr(?:ote|ites)|"
    r"complain(?:s|ed|ing)?(?: about)?|posts?|posted|posting)\b(?:[^,;:]{0,40}?\bthat\b)?\s+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Signal:
    """A clause of one event that shows the failure coming, what it measures and how it shows it.

    ``kind`` is "moving" (a trend: ``movement`` holds its words, "grows", "dropping"), "deviation" (a figure against
    what it should be), "level" (a reading with a figure) or "seen" (a failure as the data or a user saw it).
    """

    event: Tagged
    clause: str
    subject: str
    kind: str
    movement: str = ""

    def cited(self) -> str:
        """The clause quoted with its time, in the form the claims check verifies."""
        return cite(self._alone())

    def quoted(self) -> str:
        """The clause as a quote inside a sentence we write (a person's name replaced, no double quotes)."""
        return quote(self._alone())

    def _alone(self) -> TimelineEvent | UndatedEvent:
        return self.event.event.model_copy(update={"text": self.clause})


def early_signal(reading: Reading, first: Tagged, alert: Tagged | None) -> Signal | None:
    """The first clause that shows the failure before ``first`` (the first alert or report) and is not what ``alert``
    already watched: a reading taken between the start and ``first``, else a trend or a mismatch the data states with
    its pace, its start or what it was before ("grows steadily since v5.2.0", "1.9 million rows, it had 6.1 million
    yesterday"), whenever it was written down, else what the first report says users
    saw (where no alert followed it: a late alert is made to page sooner instead)."""
    watched = _watched(reading, alert)
    before = (
        t
        for t in reading.events
        if t.at < first.at and (reading.started is None or t.at >= reading.started) and _a_reading(t, reading)
    )
    for tagged in before:
        signal = _signal_in(tagged, watched, paced=False)
        if signal is not None:
            return signal
    later = (
        t
        for t in (*reading.events, *reading.undated)
        if (t.at is None or t.at >= first.at) and t.has(*DATED_TAGS) and _a_reading(t, reading)
    )
    for tagged in later:
        signal = _signal_in(tagged, watched, paced=True)
        if signal is not None:
            return signal
    return _seen_in_report(first) if first.has("report") and alert is None else None


def _a_reading(tagged: Tagged, reading: Reading) -> bool:
    """A reading of the system: not how people heard of it (but a person's page may carry what they read: "paged by
    support. files-db upload_records has 1.9 million rows"), not a step, not the change that set it off."""
    passed_on = tagged.has("alert") and (paged_by_person(tagged) or passed_on_by_a_person(tagged))
    ignored = NOT_A_READING if not passed_on else tuple(t for t in NOT_A_READING if t != "alert")
    if not tagged.has(*SIGNAL_TAGS) or tagged.has(*ignored) or tagged is reading.trigger:
        return False
    return not tagged.has("change") or tagged.has("observation")


def _watched(reading: Reading, alert: Tagged | None) -> frozenset[str]:
    """The specific words of what the first alert watched, without the services' names (an alert and a reading of the
    same service may watch different things)."""
    if alert is None:
        return frozenset()
    return specific_stems(alert.text) - specific_stems(" ".join(reading.incident.services))


def _signal_in(tagged: Tagged, watched: frozenset[str], *, paced: bool) -> Signal | None:
    for clause in _clauses(tagged.text):
        moving = _MOVING_RE.search(clause)
        if paced and ((moving is None and not _DEVIATION_RE.search(clause)) or not _PACE_RE.search(clause)):
            continue
        stems = specific_stems(clause)
        if not stems or stems & watched or _LOAD_ROSE_RE.search(clause):
            continue  # names nothing, is what the first alert watched, or is load: busy days would page
        signal = _read(tagged, clause, moving)
        if signal is not None:
            return signal
    return None


def _read(tagged: Tagged, clause: str, moving: re.Match[str] | None) -> Signal | None:
    """The clause as a signal of one kind, or None when it shows nothing: a trend, a mismatch, a failure, a figure."""
    if moving is not None:
        subject = _subject(clause[: moving.start()])
        return Signal(tagged, clause, subject, "moving", moving.group(0)) if subject else None
    if _DEVIATION_RE.search(clause):
        subject = _subject(clause)
        return Signal(tagged, clause, subject, "deviation") if subject else None
    if _FAILING_RE.search(clause):
        return Signal(tagged, clause, "", "seen")
    if _FIGURE_RE.search(clause):
        subject = _subject(clause)
        return Signal(tagged, clause, subject, "level") if subject else None
    return None


def _seen_in_report(report: Tagged) -> Signal | None:
    """What the first report says users saw ("their workload had been stuck 'pending' for at least 30 mins"), when it
    names a failure; a report that names none ("First report of issue by user") gives nothing to alert on."""
    for clause in _clauses(report.text):
        seen = _REPORTED_LEAD_RE.sub("", clause, count=1)
        if not specific_stems(seen):
            continue
        signal = _read(report, seen, _MOVING_RE.search(seen))
        if signal is not None and signal.kind != "level":
            return signal
    return None


def _clauses(text: str) -> list[str]:
    return [c.strip(" ,.;:") for c in clause_parts(text) if c.strip(" ,.;:")]


def _subject(head: str) -> str:
    """What a clause measures: the words before its verb or figure ("index node disk" of "index node disk at 81%",
    "contact export" of "their contact export has fewer rows than last week")."""
    end = _SUBJECT_END_RE.search(head)
    subject = _POSSESSIVE_RE.sub("", (head[: end.start()] if end else head).strip(" ,.;:"))
    return lower_article(subject) if 0 < len(subject.split()) <= 8 else ""
