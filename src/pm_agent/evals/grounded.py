"""Truth-grounded drafting figures: does a draft find what the team found, and claim no more than the data says?

For a case with a truth (the team's published conclusions, or a project case's ``truth``):

- **cause recall**: the share of the team's root causes and contributing factors that some causal
  statement of the draft matches (:mod:`pm_agent.evals.matching`); questions are counted apart;
- **action recall**: the same for the team's action items against the draft's actions;
- **ceiling**: the share of those items that the incident data itself states (some event or note
  sentence matches it and holds at least half of its words, each counted once), so a weak engine can be told
  from an input that lacks the fact; and
  recall *within the ceiling*, which a good engine brings to 1. In words: the mean share of each
  item's content words that the whole input holds, beside the share the draft's claims hold;
- **unsupported claims**: causal statements stated as fact that cite no input event
  (:func:`pm_agent.analysis.claims.unsupported_claims`), for every case, truth or not;
- **metric accuracy**: time to detect and time to mitigate against the figures the team stated,
  within a minute or 5 %; and whether time to mitigate is known whenever the input states recovery.

**Template leakage** needs every draft of the suite: the share of analysis lines that also
appear, near enough, in another incident's draft once times, numbers, ids and the incident's own
service names are removed (see :func:`leaked_lines`).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from pm_agent.analysis.claims import (
    CITATION_RE,
    REF_RE,
    UNDATED_RE,
    Claim,
    after_lead_in,
    analysis_lines,
    causal_claims,
    is_marked,
    sentences,
)
from pm_agent.evals.cases import EvalCase
from pm_agent.evals.matching import compare, found
from pm_agent.evals.matching import stated as in_input
from pm_agent.ingest.timeparse import minutes_in_text
from pm_agent.models import Incident, Postmortem

LEAK_JACCARD = 0.8
LEAK_MIN_TOKENS = 4
METRIC_TOLERANCE_MINUTES = 1.0
METRIC_TOLERANCE_SHARE = 0.05
STATED_METRICS = {
    "time_to_detection": "time_to_detect",
    "time_to_detect": "time_to_detect",
    "detection_delay": "time_to_detect",
    "time_to_recovery": "time_to_mitigate",
    "time_to_mitigate": "time_to_mitigate",
    "duration": "time_to_mitigate",
    "impact_duration": "time_to_mitigate",
    "time_to_resolve": "time_to_resolve",
    "time_to_resolution": "time_to_resolve",
}


@dataclass(frozen=True)
class Recall:
    """How many of the team's items the draft found, and how many of them the input states."""

    items: int
    found: int
    asked: int
    in_input: int
    found_in_input: int
    words_in_input: float = 0.0
    words_in_draft: float = 0.0

    @property
    def rate(self) -> float | None:
        return self.found / self.items if self.items else None

    @property
    def ceiling(self) -> float | None:
        return self.in_input / self.items if self.items else None

    @property
    def within_ceiling(self) -> float | None:
        return self.found_in_input / self.in_input if self.in_input else None


@dataclass(frozen=True)
class MetricCheck:
    """A figure the team stated beside the draft's: ``time_to_detect`` 8 min vs 7 min."""

    metric: str
    stated: float
    drafted: float | None

    @property
    def accurate(self) -> bool:
        if self.drafted is None:
            return False
        return abs(self.drafted - self.stated) <= max(METRIC_TOLERANCE_MINUTES, METRIC_TOLERANCE_SHARE * self.stated)


@dataclass(frozen=True)
class Grounding:
    """One draft's truth-grounded figures."""

    causes: Recall | None
    actions: Recall | None
    claims: tuple[Claim, ...]
    metrics: tuple[MetricCheck, ...]
    mitigation_known: bool | None

    @property
    def unsupported(self) -> list[Claim]:
        return [c for c in self.claims if not c.supported]

    @property
    def metric_accuracy(self) -> float | None:
        return sum(m.accurate for m in self.metrics) / len(self.metrics) if self.metrics else None


def ground(case: EvalCase, incident: Incident, postmortem: Postmortem) -> Grounding:
    """The truth-grounded figures of one case's draft."""
    claims = tuple(causal_claims(postmortem, incident))
    input_sentences = input_statements(incident)
    truth = case.truth
    causes = actions = None
    if truth.causes:
        stated = statements([c.text for c in claims if not c.text.strip().endswith("?")])
        questions = [c.text for c in claims if c.text.strip().endswith("?")] + question_texts(postmortem)
        causes = recall(truth.causes, stated, questions, input_sentences)
    if truth.action_items:
        drafted = [" ".join(filter(None, (a.title, a.done_when))) for a in postmortem.action_items]
        actions = recall(truth.action_items, drafted, [], input_sentences)
    return Grounding(
        causes=causes,
        actions=actions,
        claims=claims,
        metrics=tuple(metric_checks(truth.stated, postmortem)),
        mitigation_known=mitigation_known(incident, postmortem),
    )


def recall(items: Sequence[str], claims: list[str], questions: list[str], input_sentences: list[str]) -> Recall:
    """Which of the team's ``items`` the draft's ``claims`` (or only its ``questions``) match."""
    hit = [found(item, claims) for item in items]
    asked = [not h and found(item, questions) for item, h in zip(items, hit, strict=True)]
    stated = [in_input(item, input_sentences) for item in items]
    all_input, all_claims = " ".join(input_sentences), " ".join(claims)
    return Recall(
        items=len(items),
        found=sum(hit),
        asked=sum(asked),
        in_input=sum(stated),
        found_in_input=sum(h and s for h, s in zip(hit, stated, strict=True)),
        words_in_input=statistics.fmean(compare(item, all_input).coverage for item in items),
        words_in_draft=statistics.fmean(compare(item, all_claims).coverage for item in items),
    )


def statements(claims: list[str]) -> list[str]:
    """Each claim, and apart from it each passage it quotes or restates: a claim that quotes the event stating a
    cause has found it, however the claim frames the quote."""
    quoted = [m.group("quote") for claim in claims for m in (*CITATION_RE.finditer(claim), *UNDATED_RE.finditer(claim))]
    return [*claims, *quoted, *(part for claim in claims for part in restated_parts(claim))]


def restated_parts(claim: str) -> list[str]:
    """The passages of ``claim`` restated from events: what precedes each ``(source, time)`` reference, after the
    draft's own lead-in."""
    parts, start = [], 0
    for match in REF_RE.finditer(claim):
        parts.append(after_lead_in(claim[start : match.start()]))
        start = match.end()
    return [p.strip(" .,;") for p in parts if p.strip(" .,;")]


def input_statements(incident: Incident) -> list[str]:
    """What the incident data says, one statement each: every event and the notes' sentences (the title names the
    incident; every draft repeats it, so it is not counted as a statement of cause)."""
    texts = [*(e.text for e in incident.events), *(u.text for u in incident.undated_events)]
    texts += sentences(incident.notes)
    texts += [f.quote for f in incident.impact.figures()]
    return [t for t in texts if t.strip()]


def question_texts(postmortem: Postmortem) -> list[str]:
    """The draft's open questions and question-marked statements."""
    return [q.question for q in postmortem.open_questions] + [
        line for line in analysis_lines(postmortem) if is_marked(line)
    ]


def metric_checks(stated: dict[str, str], postmortem: Postmortem) -> list[MetricCheck]:
    """Each response figure the team stated, beside the draft's same metric."""
    drafted = {m.name: m.minutes for m in postmortem.metrics}
    checks = []
    for key, text in stated.items():
        metric = STATED_METRICS.get(key.lower())
        minutes = minutes_in(text)
        if metric and minutes is not None:
            checks.append(MetricCheck(metric, minutes, drafted.get(metric)))
    return checks


def minutes_in(text: str) -> float | None:
    """``"5 hours 26 minutes (10:45 - 16:11 UTC)"`` -> 326; None when the text states no duration."""
    return minutes_in_text(text.split("(", 1)[0])


def mitigation_known(incident: Incident, postmortem: Postmortem) -> bool | None:
    """Whether time to mitigate is known, where the input states that the impact ended (None otherwise).

    The input states it with a mitigation or resolution time, or with an event the draft's own
    timeline places in resolution.
    """
    states_recovery = bool(incident.mitigated_at or incident.resolved_at) or any(
        e.phase == "resolution" for e in postmortem.timeline
    )
    if not states_recovery:
        return None
    metric = next((m for m in postmortem.metrics if m.name == "time_to_mitigate"), None)
    start_known = any(m.start is not None for m in postmortem.metrics if m.name == "duration")
    if not start_known:
        return None  # no start: nothing can be measured from it, and that is asked elsewhere
    return metric is not None and metric.minutes is not None


# --- template leakage -------------------------------------------------------------------------

_STAMP_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?|\b\d{1,2}:\d{2}(?::\d{2})?\b|\(utc[+-]\d{2}:\d{2}\)|\butc\b"
)
_ID_RE = re.compile(r"\b[\w.-]*\d[\w.-]*\b")
_WORD_RE = re.compile(r"[a-z][a-z'-]*")


def normalised(line: str, services: Sequence[str]) -> tuple[str, ...]:
    """The line's words once times, numbers, ids and the incident's own service names are removed."""
    text = line.lower()
    for service in sorted(services, key=len, reverse=True):
        if service.strip():
            text = text.replace(service.lower(), " ")
    text = _ID_RE.sub(" ", _STAMP_RE.sub(" ", text))
    return tuple(_WORD_RE.findall(text))


def leaked_lines(drafts: Sequence[tuple[str, Postmortem]]) -> dict[str, tuple[int, int]]:
    """Per case id: (lines that also appear in another case's draft, all analysis lines)."""
    normal = {case_id: [normalised(line, pm.services) for line in analysis_lines(pm)] for case_id, pm in drafts}
    every = [(case_id, line, frozenset(line)) for case_id, lines in normal.items() for line in lines]
    out = {}
    for case_id, lines in normal.items():
        leaked = sum(
            1
            for owner, line, words in every
            if owner == case_id
            and any(other != case_id and _same(line, words, them, their_words) for other, them, their_words in every)
        )
        out[case_id] = (leaked, len(lines))
    return out


def _same(a: tuple[str, ...], sa: frozenset[str], b: tuple[str, ...], sb: frozenset[str]) -> bool:
    """Two normalised lines alike: equal and not empty, or (both long enough) sharing most of their words, ``sa``
    and ``sb`` being their word sets."""
    if a == b:
        return bool(a)
    if len(a) < LEAK_MIN_TOKENS or len(b) < LEAK_MIN_TOKENS:
        return False
    return len(sa & sb) / len(sa | sb) >= LEAK_JACCARD
