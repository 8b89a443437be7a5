"""Quoting the clause of an event that carries one meaning, not the whole message.

A chat message often packs several meanings: "Pods are OOMKilled every 40 minutes or so; memory grows steadily since
v5.2.0; storefront shows empty recommendation panels during restarts" holds a finding, a trend and the impact. Where
the draft quotes an event for one meaning (the impact, a finding, a cause, the fix, a missing safeguard, the component
two events share), :func:`narrowed` keeps the clauses that carry it, and the clauses beside them that say nothing the
section sets aside (what sets them up: "the cleanup script listed records with no queries; auth.internal is queried
elsewhere, so it looked unused"); a clause that opens with "this", "it" or "so" keeps the clause before it, whose
subject it takes.

What is left out is marked with an ellipsis: ``… storefront shows empty recommendation panels during restarts``,
``Pods are OOMKilled every 40 minutes or so …``, two pieces apart as ``first … third``. Every piece is verbatim, so
the claims check (:mod:`pm_agent.analysis.claims`, which cuts a quote at its ellipses) and the fidelity check find
the words in the input. A short message, one of a single clause, one where no clause carries the meaning and one
where nothing would be left out are quoted whole, and so is a message longer than a quote's excerpt (its quote is cut
to the sentence the section looks for, :func:`pm_agent.analysis.quoting.excerpt`). The Timeline always shows the
event whole.

Clauses are cut at ";", at a dash between words (" - "), at a sentence's end and at a line break; never inside a
number, a version or a time ("v5.2.0", "12:06", "1.5%"), at a range ("12:06 - 12:30") or after an abbreviation
("e.g."). Each clause is tagged with :func:`~pm_agent.analysis.tagging.tags_of` when an event is quoted this way:
only the few events a section quotes, never the whole timeline.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.quoting import EXCERPT_LIMIT, said
from pm_agent.analysis.tagging import tags_of
from pm_agent.analysis.terms import content_stems
from pm_agent.models import TimelineEvent, UndatedEvent

Event = TimelineEvent | UndatedEvent
ELLIPSIS = "…"
SHORT = 60  # a message this short is read at a glance: quoted whole
# Where a clause ends: ";", a dash between words (not between numbers: "12:06 - 12:30"), a sentence's end (not after
# an abbreviation or an initial), a line break.
CLAUSE_END_RE = re.compile(r"\s*;\s*|(?<=\w)\s+[-–—]\s+(?=\w)|(?<=[.!?])\s+|\s*\n\s*")
# What a sentence end is not: a dash between two numbers (a range: "12:06 - 12:30"), a dot after an abbreviation or
# an initial ("e.g. the", "J. Smith").
RANGE_RE = re.compile(r"\d\s+[-–—]\s+\d")
ABBREVIATION_RE = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|approx|incl|ca|no|cf|al|dr|mr|mrs|ms|st)|(?<![\w.])[A-Z])\.$", re.IGNORECASE
)
# A clause that takes its subject from the one before: "this meant ...", "so every retry ...", "it looked unused".
LEANS_BACK_RE = re.compile(
    r"^(?:this|that|these|those|it|its|they|their|which|so|then|thus|hence|therefore|and|but|also|as a result)\b",
    re.IGNORECASE,
)
# What a clause's tags say about how it is said, not what: alone they give it no meaning of its own.
MODIFIERS = frozenset({"ongoing", "tentative", "automatic", "begun", "progress", "manual", "repeat", "observation"})
# The people an impact reaches: a clause naming them states the impact, whatever else it says.
PEOPLE_RE = re.compile(rf"\b{vocab.OUTSIDE_PEOPLE}\b", re.IGNORECASE)


@dataclass(frozen=True)
class Clause:
    """A clause of an event's text: where it stands (``text[start:end]``, verbatim) and its meaning tags."""

    start: int
    end: int
    text: str
    tags: frozenset[str]


@dataclass(frozen=True)
class Meaning:
    """What a section quotes an event for.

    A clause carries it when tagged with one of ``tags`` (or, with ``says``, when that test of its words holds) and
    with none of ``rivals``, the meanings that make it something else ("pods are OOMKilled" is a finding, not the
    impact); with ``people``, a clause naming users carries it whatever else it says. A clause that does not carry it
    is set aside when it says one of ``other`` (with ``says``, unless it is tagged with one of ``tags``); the rest
    are kept beside the ones that carry it, since they may set them up or finish them ("so it looked unused").
    """

    name: str
    tags: frozenset[str]
    other: frozenset[str]
    rivals: frozenset[str] = frozenset()
    people: bool = False
    says: Callable[[str], bool] | None = None

    def carried_by(self, clause: Clause) -> bool:
        said = self.says(clause.text) if self.says is not None else bool(clause.tags & self.tags)
        if not said:
            return False
        return not clause.tags & self.rivals or (self.people and bool(PEOPLE_RE.search(clause.text)))

    def set_aside(self, clause: Clause) -> bool:
        """A clause that says something else, which the section does not quote."""
        if not clause.tags & self.other or self.carried_by(clause):
            return False
        return self.says is None or not clause.tags & self.tags


def meaning(name: str, *tags: str, other: frozenset[str] | set[str]) -> Meaning:
    """A meaning carried by any of ``tags`` (by the tag ``name`` when none are given), ``other`` set aside."""
    carried = frozenset(tags or (name,))
    return Meaning(name, carried, frozenset(other) - carried)


# A step of the response and what came of it: the meaning of a clause about the response, not the failure.
RESPONSE = frozenset(
    {
        "mitigation", "recovery", "worked", "failed", "retry", "change", "investigation", "acknowledgement",
        "declaration", "communication", "followup", "resolution", "handover",
    }
)  # fmt: skip
# What the failure is, as the data states it.
FAILURE = frozenset({"symptom", "report", "finding", "cause_statement", "growth", "gap", "negative", "data_loss"})
# What users and systems saw: a symptom or a report, not the diagnosis of one ("pods are OOMKilled"), a cause, a
# step or its outcome; a clause naming users states the impact whatever else it does.
_NOT_IMPACT = RESPONSE | {"finding", "cause_statement", "gap", "negative", "growth"}
IMPACT = Meaning(
    "impact", frozenset({"symptom", "report", "data_loss", "worsened"}), _NOT_IMPACT, _NOT_IMPACT, people=True
)
FINDING = meaning("finding", "finding", "cause_statement", other=RESPONSE - {"change"} | FAILURE)  # "pods OOMKilled"
CAUSE = meaning("cause", "cause_statement", "finding", "growth", other=RESPONSE - {"change"} | {"report", "negative"})
OBSERVED = meaning("observed", "symptom", "finding", "limit_reached", "growth", other=RESPONSE)
RECOVERY = meaning(  # a recovery names what went away ("error rate back to normal"): symptoms are not set aside
    "recovery",
    "recovery",
    "worked",
    "resolution",
    other=FAILURE - {"symptom", "data_loss"} | {"communication", "followup"},
)
_NOT_THE_STEP = FAILURE | {"communication", "followup", "declaration"}
# The step that stopped the impact: the step itself, and (for what it shows was broken) what came of it ("build jobs
# green again"), never the failure it answered nor who was told.
FIX = meaning("fix", "mitigation", "change", "retry", "failover", other=_NOT_THE_STEP)
STEP = meaning("step", "mitigation", "change", "retry", "failover", other=_NOT_THE_STEP | {"recovery"})  # only the step
SYMPTOM = meaning(  # how the failure showed: what was seen of it, a diagnosis included ("pods OOMKilled")
    "symptom",
    "symptom",
    "report",
    "alert",
    "data_loss",
    other=RESPONSE | {"cause_statement", "gap", "negative", "growth"},
)


# What a link between two events keeps of the later one, and what it does not need of it: what users saw, the steps of
# the response.
LINK_KEEPS = frozenset({"finding", "cause_statement", "change", "gap", "growth"})
LINK_ASIDE = frozenset(
    {
        "symptom", "report", "data_loss", "mitigation", "recovery", "worked", "communication", "followup",
        "acknowledgement", "declaration", "investigation",
    }
)  # fmt: skip


def stated(tag: str) -> Meaning:
    """The meaning of one tag ("gap", "negative"): the response and the failure's other meanings set aside."""
    return meaning(tag, other=RESPONSE | FAILURE)


def clauses_of(text: str, source: str) -> list[Clause]:
    """The clauses of ``text``, each tagged as an event of ``source`` would be."""
    out, start = [], 0
    for match in [*(m for m in CLAUSE_END_RE.finditer(text) if _ends_a_clause(text, m)), None]:
        end = match.start() if match else len(text)
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        piece = piece.strip()
        if piece.strip(" .;,:-–—"):
            at = start + lead
            out.append(Clause(at, at + len(piece), piece, tags_of(piece, source) - MODIFIERS))
        start = match.end() if match else len(text)
    return out


def _ends_a_clause(text: str, match: re.Match[str]) -> bool:
    """A separator that ends a clause: not a dash between numbers (a range), nor the space after an abbreviation."""
    if RANGE_RE.fullmatch(text[max(0, match.start() - 1) : match.end() + 1].strip()):
        return False
    after_a_dot = not match.group().strip() and text[match.start() - 1] == "."
    return not (after_a_dot and ABBREVIATION_RE.search(text[max(0, match.start() - 8) : match.start()]))


def narrowed(event: Event, meant: Meaning) -> Event:
    """``event`` with its text narrowed to the clauses that carry ``meant`` and those that set them up; the event
    itself when nothing would be left out."""
    excerpt = clause_excerpt(event.text, event.source, meant)
    return event if excerpt == event.text else event.model_copy(update={"text": excerpt})


def said_as(event: Event, tag: str) -> str:
    """:func:`~pm_agent.analysis.quoting.said` of the clauses of ``event`` that state ``tag`` ("gap", "blocked",
    "communication"): what a sentence quoting the event for that one meaning writes."""
    return said(narrowed(event, stated(tag)), vocab.TAG_PATTERNS[tag])


def naming(stems: frozenset[str]) -> Meaning:
    """The clauses that name one of ``stems`` (the component two events share), with what was found or changed around
    them; what users saw and the steps of the response are set aside: "Pods are OOMKilled every 40 minutes or so;
    memory grows steadily since v5.2.0 …" of a message that ends on the empty panels users saw."""
    return Meaning("naming", LINK_KEEPS, LINK_ASIDE, says=lambda text: not stems.isdisjoint(content_stems(text)))


def saying(pattern: re.Pattern[str], like: Meaning) -> Meaning:
    """The clauses ``pattern`` matches, setting aside what ``like`` sets aside."""
    return Meaning(like.name, frozenset(), like.other, says=lambda text: bool(pattern.search(text)))


def clause_excerpt(text: str, source: str, meant: Meaning) -> str:
    """The clauses of ``text`` that carry ``meant``, with the clauses that say nothing it sets aside, verbatim and
    joined by ellipses where clauses are left out; ``text`` itself when short, of one clause, or when no clause
    carries it or none is left out."""
    if not SHORT < len(text.strip()) <= EXCERPT_LIMIT:  # a longer one is cut to its sentence by the quote itself
        return text
    clauses = clauses_of(text, source)
    if len(clauses) < 2 or not any(meant.carried_by(clause) for clause in clauses):
        return text
    kept = _leaning_back(clauses, _runs_around(clauses, meant))
    if len(kept) == len(clauses):
        return text
    return _joined(text, clauses, sorted(kept))


def _runs_around(clauses: list[Clause], meant: Meaning) -> set[int]:
    """The clauses that carry ``meant``, and the clauses next to them (and next to those) that are not set aside: what
    sets a clause up or finishes it is beside it, not across a clause that says something else."""
    kept = {i for i, clause in enumerate(clauses) if meant.carried_by(clause)}
    for i in sorted(kept):
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(clauses) and j not in kept and not meant.set_aside(clauses[j]):
                kept.add(j)
                j += step
    return kept


def _leaning_back(clauses: list[Clause], kept: set[int]) -> set[int]:
    """The kept clauses and the clause each leans back on ("so it looked unused" on what "it" is)."""
    kept = set(kept)
    for i in sorted(kept, reverse=True):
        while i > 0 and LEANS_BACK_RE.match(clauses[i].text):
            i -= 1
            kept.add(i)
    return kept


def _joined(text: str, clauses: list[Clause], kept: list[int]) -> str:
    """The kept clauses as runs of the text (a run of neighbours verbatim with what separates them), joined by an
    ellipsis where clauses were left out, and one at either end when the text goes on."""
    runs: list[list[int]] = []
    for i in kept:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    pieces = [text[clauses[run[0]].start : clauses[run[-1]].end].rstrip(" .;,:") for run in runs]
    lead = f"{ELLIPSIS} " if kept[0] > 0 else ""
    tail = f" {ELLIPSIS}" if kept[-1] < len(clauses) - 1 else ""
    return lead + f" {ELLIPSIS} ".join(pieces) + tail
