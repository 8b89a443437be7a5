"""One reading of an incident: every event tagged once, and the moments and events the analysis rests on.

:func:`read_incident` applies the vocabulary (:mod:`pm_agent.analysis.vocabulary`) to each event a
single time. The reading then answers what every part of a draft asks: when the impact started,
what set it off, how it was detected, what the team found and when, which recovery attempts failed
and which worked, when the impact stopped. Nothing here guesses: a moment the data does not mark is
``None``, and the parts of the draft that need it ask for it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache, wraps
from typing import TypeVar

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.quoting import NOTES, sentences_of, shorten
from pm_agent.analysis.terms import content_stems, weight
from pm_agent.models import Incident, TimelineEvent, UndatedEvent
from pm_agent.textscan.required import WordFilteredPatterns

SLOW_DETECTION = dt.timedelta(minutes=30)


_T = TypeVar("_T")


def once_per_reading(read: Callable[[Reading], _T]) -> Callable[[Reading], _T]:
    """``read(reading)`` worked out once per reading and kept on it, for the readings the summary, findings, Five
    Whys, actions and lessons all ask of the same incident (a pass over every event each time otherwise)."""
    key = f"_once_{read.__module__}.{read.__qualname__}"

    @wraps(read)
    def once(reading: Reading) -> _T:
        kept = reading.__dict__
        if key not in kept:
            kept[key] = read(reading)
        return kept[key]

    return once


ALERT_SOURCES = ("alert", "page")


@lru_cache(maxsize=1 << 14)
def tags_of(text: str, source: str) -> frozenset[str]:
    """The vocabulary's tags for one event text from one source."""
    tags = _words_tags(text)
    if "symptom" in tags and not _unnegated(vocab.TAG_PATTERNS["symptom"], text):
        tags.discard("symptom")
    if "alert" in tags and "declaration" in tags and source not in ALERT_SOURCES and not _AUTOMATED_RE.search(text):
        tags.discard("alert")  # "the drill lead paged the on-call": a person escalating, not monitoring
    if "declaration" in tags and _only_inside(vocab.TAG_PATTERNS["declaration"], text, _STATUS_PAGE_READ_RE):
        tags.discard("declaration")  # "the vendor's status pages are all green": read while investigating, not opened
    if "finding" in tags and _only_inside(vocab.TAG_PATTERNS["finding"], text, _QUOTED_RE):
        tags.discard("finding")  # "files show 'not found'": the message users see, not someone finding something
    if "followup" in tags and not _unnegated(vocab.TAG_PATTERNS["followup"], text):
        tags.discard("followup")  # "no ticket filed": the text records that nothing was decided
    if "followup" in tags and not _decided(text):
        tags.discard("followup")  # "enabling daemonsets to be scheduled": what a step let happen, not a step left
    if "communication" in tags and _only_inside(vocab.TAG_PATTERNS["communication"], text, _REPORT_BY_MESSAGE_RE):
        tags.discard("communication")  # "a customer emailed support": the failure reaching the team, not people told
    if "symptom" in tags and _only_inside(vocab.TAG_PATTERNS["symptom"], text, _CLEANED_UP_RE):
        tags.discard("symptom")  # "stale records cleaned up": what a change removed, not a failure seen
    if "mitigation" in tags and no_step_taken(text, source, tags):
        tags.discard("mitigation")
    if tags & _CHANGE_WORDS and not tags & {"report", "recovery"} and _CHANGE_DID_RE.search(text):
        tags.add("finding")  # "change 812 deleted the allow rule": what the change did
    if not tags & {"mitigation", "retry", "change"}:
        tags -= {"begun", "automatic"}  # only said of a step or a change
    if "report" in tags:
        tags.discard("alert")
    elif source in ALERT_SOURCES:
        tags.add("alert")
    if source == "deploy":
        tags.add("change")
    if "negative" in tags:
        tags.discard("finding")
    if "data_loss" in tags:  # "300 GB removed": what was lost, not a step that removed the bad part
        tags.discard("mitigation")
        tags.add("symptom")
    if not tags & {"mitigation", "retry"} or not vocab.TAG_PATTERNS["failed"].search(what_happened(text)):
        tags.discard("failed")  # "re-triggered due to a timeout": the timeout is why, not this step's outcome
    if "gate_caught" in tags:  # "Canary analysis FAILED ...; rollout halted": the gate's verdict on the change, and the
        tags.discard("failed")  # gate stopping it is a step that worked
        tags.add("worked")
    if "investigation" in tags and "finding" not in tags:
        tags.discard("recovery")
    if tags & {"symptom", "limit_reached"} and source in ("note", "chat", "metric") and not tags & _NOT_OBSERVATION:
        tags.add("observation")  # "Grafana Agent ... had high memory usage", "at 65,536 open files, the ulimit"
    elif not tags & _NOT_OBSERVATION and _evidence_says(text):
        tags.add("observation")  # "billing pods log ECONNREFUSED": what a component shows
    return frozenset(tags)


def _words_tags(text: str) -> set[str]:
    """The tags whose words the text says, a word inside a joined name ("push-relay", "deploy-bot") not counting."""
    first = _TAG_SCAN.first_matches(text)
    names = _name_spans(text)
    if not names:
        return set(first)
    return {  # a first match outside every name settles it; only one inside a name asks for the others
        tag
        for tag, match in first.items()
        if not _in_a_name(match, names) or not _all_in_spans(vocab.TAG_PATTERNS[tag], text, names)
    }


# Each tag's pattern runs only on a text holding one of the words its every match holds: one scan of the text
# for all of them, instead of 38 searches that mostly fail.
_TAG_SCAN = WordFilteredPatterns(vocab.TAG_PATTERNS)


def _in_a_name(match: re.Match[str], names: list[tuple[int, int]]) -> bool:
    return any(a <= match.start() and match.end() <= b and match.span() != (a, b) for a, b in names)


def _name_spans(text: str) -> list[tuple[int, int]]:
    """Where the text names a component with joined words: "notification-worker", not "re-pushed", "crash-looping" or
    "error-rate"."""
    if "-" not in text and "_" not in text:
        return []
    return [
        m.span()
        for m in _JOINED_TOKEN_RE.finditer(text)
        if _JOINED_NAME_RE.fullmatch(m[0]) and not _JOINED_WORD_RE.fullmatch(m[0])
    ]


def _all_in_spans(pattern: re.Pattern[str], text: str, spans: list[tuple[int, int]], *, only_part: bool = True) -> bool:
    """True when every match of ``pattern`` lies inside one of ``spans`` (in text order, not overlapping), and with
    ``only_part`` is not all of it; each match looks up the one span that can hold it, so a long text stays linear."""
    starts = [a for a, _ in spans]
    for m in pattern.finditer(text):
        i = bisect.bisect_right(starts, m.start()) - 1
        if i < 0 or m.end() > spans[i][1] or (only_part and m.span() == spans[i]):
            return False
    return True


_JOINED_TOKEN_RE = re.compile(vocab.JOINED_TOKEN)
_JOINED_WORD_RE = re.compile(vocab.JOINED_WORD, re.IGNORECASE)
_JOINED_NAME_RE = re.compile(vocab.JOINED_NAME, re.IGNORECASE)
_CLEANED_UP_RE = re.compile(vocab.CLEANED_UP, re.IGNORECASE)


def no_step_taken(text: str, source: str, tags: set[str] | frozenset[str]) -> bool:
    """True when the text's step words name no step taken here: monitoring reports restarts or a resolution but does
    not act ("FIRING PodRestartsHigh: pods restarted 3 times"), unless a release gate stopped the change itself; and
    every step word lies in what the evidence says ("the provider reports its incident mitigated"), in what a change
    did ("zone change 812 removed the record"), or in a step named only as a moment ("flat after the rollback")."""
    if source == "alert" and "gate_caught" not in tags:
        return True
    return _only_inside(vocab.TAG_PATTERNS["mitigation"], text, _NOT_DONE_HERE_RE)


_CHANGE_DID_RE = re.compile(vocab.CHANGE_DID, re.IGNORECASE)
_CHANGE_WORDS = frozenset({"change", "mitigation", "symptom", "data_loss"})  # what the verbs of CHANGE_DID tag
_EVIDENCE_SAYS_RE = re.compile(vocab.EVIDENCE_SAYS, re.IGNORECASE)


def _evidence_says(text: str) -> bool:
    """What a component logs, shows or returns; most texts name none of the verbs, and a substring test says so."""
    folded = text.lower()
    return any(verb in folded for verb in vocab.EVIDENCE_VERBS) and bool(_EVIDENCE_SAYS_RE.search(text))


_NOT_DONE_HERE_RE = re.compile(
    rf"(?:{vocab.EVIDENCE_SAYS})[^.;]*|{vocab.CHANGE_DID}|{vocab.STEP_REFERRED_TO}|{vocab.FAILED_OVER_BY_ITSELF}",
    re.IGNORECASE,
)
# A change mentioned in these is what someone found or saw, not a step taken to recover.
_NOT_A_STEP = ("report", "alert", "finding", "investigation", "negative", "observation", "cause_statement", "symptom")
_AUTOMATED_RE = re.compile(r"\b(?:alert\w*|alarm\w*|monitor\w*|pagerduty|opsgenie|automat\w*|firing)\b", re.I)


def from_monitoring(tagged: Tagged) -> bool:
    """An alert whose words name monitoring ("FIRING ...", "Alert: ...", "alarm", "PagerDuty"), not a person paging
    or escalating ("paged by support", "Support escalated the ticket to the on-call")."""
    return tagged.has("alert") and bool(_AUTOMATED_RE.search(tagged.text))


_QUOTED_RE = re.compile(r"(?<!\w)'[^']{1,80}'(?!\w)|\"[^\"]{1,80}\"|“[^”]{1,80}”")
_STATUS_PAGE_READ_RE = re.compile(
    r"\bstatus ?pages? (?:are|is|was|were) (?:all |still )?(?:green|up|fine|normal|healthy|clear|operational)\b|"
    r"\bstatus ?pages? (?:shows?|showed|says|said|reports?|reported|lists?|listed)\b|"
    r"\b(?:check\w*|look\w* at|read|consult\w*)\s+(?:the\s+)?(?:[\w'-]+\s+){0,3}status ?pages?\b",
    re.I,
)
_UNANSWERED_RE = re.compile(
    r"\b(?:no (?:acknowledg\w*|ack|response|answer)|not (?:been )?(?:acknowledged|answered)|unacknowledged|unanswered|"
    r"(?:nobody|no one) (?:acknowledged|answered|responded)|without (?:an? )?(?:acknowledg\w*|response|answer))\b",
    re.I,
)


def went_unanswered(tagged: Tagged) -> bool:
    """A page or escalation that says nobody took the page ("escalated to the secondary after no acknowledgement")."""
    return tagged.has("alert", "declaration", "acknowledgement") and bool(_UNANSWERED_RE.search(tagged.text))


_PERSON_PAGED_RE = re.compile(
    r"\bpaged by\b|\b(?!(?:was|were|been|being|is|are|be|got|get|gets|and|then|who)\b)[a-z][\w-]* paged\b", re.I
)


def paged_by_person(tagged: Tagged) -> bool:
    """A page a person sent ("the drill lead paged the on-call", "paged by support"): someone passing on what they
    found, not monitoring catching the failure. A page whose words name monitoring ("PagerDuty paged ...") stays
    an alert."""
    return (
        tagged.has("alert")
        and tagged.source != "alert"
        and not from_monitoring(tagged)
        and bool(_PERSON_PAGED_RE.search(tagged.text))
    )


_PASSED_ON_RE = re.compile(r"\b(?:escalat\w*|tickets?|acknowledg\w*)\b", re.I)


def passed_on_by_a_person(tagged: Tagged) -> bool:
    """A page that records a person escalating or acknowledging ("Support escalated ticket T-1 to the on-call",
    "Acknowledged by Sam"), with no word of monitoring in it."""
    return bool(_PASSED_ON_RE.search(tagged.text)) and not _AUTOMATED_RE.search(tagged.text)


_TO_BE_DONE_RE = re.compile(vocab.TO_BE_DONE, re.IGNORECASE)
_LETTING_RE = re.compile(r"\b(?:\w+ing|allow\w*|enabl\w*|let|lets|caus\w*|got|gets?|want\w*|need\w*)\b", re.I)


def _decided(text: str) -> bool:
    """Some follow-up words record a decision: any but "to be <done>" does, and that one only as its clause's own
    verb ("leak to be reproduced"), not after a verb it completes ("enabling the pods to be scheduled")."""
    pattern = vocab.TAG_PATTERNS["followup"]
    for match in pattern.finditer(text):
        if not _TO_BE_DONE_RE.fullmatch(match[0]):
            return True
        clause = re.split(r"[;.:,]", text[: match.start()])[-1]
        if not _LETTING_RE.search(clause):
            return True
    return False


def _unnegated(pattern: re.Pattern[str], text: str) -> bool:
    """True when some match of ``pattern`` is not right after a negation ("no data lost")."""
    return any(not vocab.NEGATED.search(text[: m.start()]) for m in pattern.finditer(text))


_REPORT_BY_MESSAGE_RE = re.compile(vocab.REPORT_BY_MESSAGE, re.IGNORECASE)


def _only_inside(pattern: re.Pattern[str], text: str, container: re.Pattern[str]) -> bool:
    """True when every match of ``pattern`` lies inside some match of ``container``."""
    spans = [m.span() for m in container.finditer(text)]
    return bool(spans) and _all_in_spans(pattern, text, spans, only_part=False)


_NOT_OBSERVATION = frozenset(
    {
        "alert",
        "report",
        "mitigation",
        "change",
        "declaration",
        "communication",
        "recovery",
        "progress",
        "finding",
        "cause_statement",
        "negative",
        "acknowledgement",
    }
)


def notes_as_events(notes: str) -> list[UndatedEvent]:
    """The sentences of the incident's notes, as statements without a time: what responders wrote down counts as
    evidence like a timeline entry, cited as coming from the notes."""
    paragraphs = re.split(r"\n\s*\n", notes or "")
    found = []
    for paragraph in paragraphs:
        lines = [line.strip(" -*\t") for line in paragraph.splitlines() if not line.lstrip().startswith("#")]
        found += sentences_of(" ".join(line for line in lines if line))
    return [
        UndatedEvent(source="note", text=s, time_text=NOTES)
        for s in found
        if len(s.split()) >= 3 and not _RECORD_RE.search(s)
    ]


# A key-value record pasted into the notes ({"time_to_detection": "335 minutes", ...}) is data, not a statement
# about the system: read as prose it turns into findings and actions about its field names.
_RECORD_RE = re.compile(r"""\{\s*["'][\w .-]+["']\s*:""")


def without_vocabulary(text: str) -> str:
    """``text`` with the vocabulary's words blanked out, but for the symptoms: "OOM", "memory" or "503" name
    what failed, while "found", "deployed" or "reported" only say what kind of event it is."""
    return _NOT_SYMPTOM_WORDS.sub(" ", text)


_NOT_SYMPTOM_WORDS = re.compile(
    "|".join(f"(?:{p.pattern})" for tag, p in vocab.TAG_PATTERNS.items() if tag != "symptom"), re.IGNORECASE
)


def what_happened(text: str) -> str:
    """The part of a sentence that says what happened, not why: "Attempt fails" of "Attempt fails due to a timeout"."""
    match = vocab.CONNECTIVE.search(text)
    if match:
        return text[: match.start()]
    consequence = vocab.CONSEQUENCE.search(text)
    return text[consequence.end() :] if consequence else text


@dataclass(frozen=True, eq=False)
class Tagged:
    """An event (dated, or undated with the time the input gave) and what its words say it is."""

    event: TimelineEvent | UndatedEvent
    tags: frozenset[str]
    order: int
    at: dt.datetime | None = None  # the event's time; None for an undated event

    @property
    def text(self) -> str:
        return self.event.text

    @property
    def source(self) -> str:
        return self.event.source

    def has(self, *tags: str) -> bool:
        """True when the event carries any of ``tags``."""
        return not self.tags.isdisjoint(tags)

    @cached_property
    def states_something(self) -> bool:
        """A finding with content: "Issue identified" marks a moment of diagnosis but states nothing."""
        if self.has("cause_statement", "observation"):
            return True
        if not self.has("finding"):
            return False
        sentence = next((s for s in sentences_of(self.text) if vocab.TAG_PATTERNS["finding"].search(s)), self.text)
        return len(specific_stems(sentence)) >= vocab.FINDING_MIN_WORDS

    @property
    def stems(self) -> frozenset[str]:
        """The specific words the event names (components, mechanisms), for linking events.

        The vocabulary's own words are left out: two events do not share a component because
        both say "failed" or "discovered".
        """
        return specific_stems(self.text)


@lru_cache(maxsize=1 << 14)
def specific_stems(text: str) -> frozenset[str]:
    """The specific (not generic, not vocabulary) stems of a text; a timeline repeats its texts, so each is read once."""
    return frozenset(s for s in content_stems(without_vocabulary(text)) if weight(s) == 1.0)


@dataclass(frozen=True)
class Attempt:
    """A step taken to stop the impact, and what the data says came of it."""

    step: Tagged
    outcome: str  # "worked", "failed", or "unknown"


@dataclass(frozen=True)
class Reading:
    """The incident as the analysis reads it; any moment or event may be missing."""

    incident: Incident
    events: tuple[Tagged, ...]
    undated: tuple[Tagged, ...]
    started: dt.datetime | None
    started_basis: str
    trigger: Tagged | None
    detection: Tagged | None
    detected: dt.datetime | None
    detected_basis: str
    mitigated: dt.datetime | None
    mitigated_basis: str
    resolved: dt.datetime | None
    resolved_basis: str
    attempts: tuple[Attempt, ...] = field(default=())

    # --- selections -------------------------------------------------------------------------
    def tagged(self, *tags: str, dated_only: bool = False) -> list[Tagged]:
        """The events carrying any of ``tags``, dated ones in time order, then the undated."""
        index = self._by_tag
        found = sorted({t.order: t for tag in tags for t in index.get(tag, ())}.items())
        return [t for _, t in found if not dated_only or t.at is not None]

    @cached_property
    def _by_tag(self) -> dict[str, list[Tagged]]:
        index: dict[str, list[Tagged]] = {}
        for tagged in (*self.events, *self.undated):
            for tag in tagged.tags:
                index.setdefault(tag, []).append(tagged)
        return index

    def between(self, start: dt.datetime | None, end: dt.datetime | None) -> list[Tagged]:
        """Dated events from ``start`` to ``end`` (either open)."""
        return [t for t in self.events if (start is None or t.at >= start) and (end is None or t.at <= end)]

    @cached_property
    def first_alert(self) -> Tagged | None:
        return next((t for t in self.tagged("alert", dated_only=True) if self._after_start(t)), None)

    @cached_property
    def first_monitoring_alert(self) -> Tagged | None:
        """The first alert a monitor raised, never a page a person sent to pass a report on ("paged by support",
        "Support escalated ticket T-1 to the on-call") or acknowledging a page: those answer a signal, they are not one."""
        return next(
            (
                t
                for t in self.tagged("alert", dated_only=True)
                if self._after_start(t) and not paged_by_person(t) and not passed_on_by_a_person(t)
            ),
            None,
        )

    @cached_property
    def first_report(self) -> Tagged | None:
        return next((t for t in self.tagged("report", dated_only=True) if self._after_start(t)), None)

    @property
    def reported_by_people(self) -> bool:
        """The first signal was a person's report, with no alert before it."""
        return bool(self.detection and self.detection.has("report"))

    @property
    def detection_lag(self) -> dt.timedelta | None:
        return self.detected - self.started if self.detected and self.started else None

    @cached_property
    def findings(self) -> list[Tagged]:
        """Events that state something about the cause: a finding with content, a cause statement, an observation."""
        candidates = self.tagged("finding", "cause_statement", "observation")
        return [t for t in candidates if t.states_something and not t.has("negative")]

    @cached_property
    def late_declaration(self) -> Tagged | None:
        """The declaration, when it came only after the impact had stopped (or the data says it was retroactive)."""
        declarations = [t for t in self.tagged("declaration", dated_only=True) if not t.has("resolution")]
        retro = next((t for t in declarations if "retroactive" in t.text.lower()), None)
        if retro is not None:
            return retro
        first = declarations[0] if declarations else None
        return first if first is not None and self.mitigated is not None and first.at > self.mitigated else None

    @cached_property
    def negatives(self) -> list[Tagged]:
        return self.tagged("negative")

    def _after_start(self, tagged: Tagged) -> bool:
        return self.started is None or (tagged.at is not None and tagged.at >= self.started)


def read_incident(incident: Incident) -> Reading:
    """Tag every event once and find the moments and events the analysis rests on."""
    dated = sorted(incident.events, key=lambda e: e.at)
    events = tuple(Tagged(e, tags_of(e.text, e.source), i, e.at) for i, e in enumerate(dated))
    undated = tuple(
        Tagged(u, tags_of(u.text, u.source), len(events) + i)
        for i, u in enumerate([*incident.undated_events, *notes_as_events(incident.notes)])
    )
    trigger = find_trigger(events, incident)
    started, started_basis = _start(incident, events, trigger)
    detection, detected, detected_basis = _detection(incident, events, started)
    attempts = _credited(tuple(_attempts(events, detected or started)), events)
    mitigated, mitigated_basis = _mitigation(incident, events, attempts, detected or started)
    resolved, resolved_basis = _resolution(incident, events)
    if mitigated is None and resolved is not None and started is not None:
        mitigated, mitigated_basis = resolved, f"{resolved_basis}; no earlier recovery event"
    return Reading(
        incident=incident,
        events=events,
        undated=undated,
        started=started,
        started_basis=started_basis,
        trigger=trigger,
        detection=detection,
        detected=detected,
        detected_basis=detected_basis,
        mitigated=mitigated,
        mitigated_basis=mitigated_basis,
        resolved=resolved,
        resolved_basis=resolved_basis,
        attempts=attempts,
    )


def find_trigger(events: tuple[Tagged, ...], incident: Incident) -> Tagged | None:
    """The change that set the failure off, where the data marks or places one.

    A change the input marks ("(problem started)", "culprit") comes first. Otherwise, with a start
    time: a change at that moment, else the last change before it. Without one: the last change
    before the first failure signal (an alert, a report, a symptom, or something found). Alerts,
    reports (whoever reports) and recoveries are never the trigger; a step
    that reads like a fix is one only before anything failed ("scaling up" ahead of a migration).
    """
    changes = [
        t
        for t in events
        if t.has("change") and not t.has("alert", "report", "recovery") and not _SOMEONE_REPORTS_RE.search(t.text)
    ]
    marked = next((t for t in changes if vocab.CULPRIT_MARK.search(t.text)), None)
    if marked is not None:
        return marked
    if incident.started_at is not None:  # the input says when: the change at that moment, or the last one before
        at_start = [t for t in changes if t.at == incident.started_at]
        before = [t for t in changes if t.at < incident.started_at]
        return at_start[0] if at_start else (before[-1] if before else None)
    first_signal = next(  # what someone found ("found it: ...") also says something had already failed
        (t.at for t in events if t.has("alert", "report", "finding") or (t.has("symptom") and not t.has("change"))),
        None,
    )
    before = [t for t in changes if first_signal is None or t.at < first_signal]
    return _change_that_failed_first(before) if before else None


# "Finance reports orders with both discounts applied", "a merchant reported missing payouts": whoever reports, the
# event tells of the failure, whatever change word it holds; it never set the failure off. Only the verb: "reports"
# right after the event's subject (a word or two, not a verb like "Released"), "reported" or "complained" anywhere, never inside a name ("reporting-api") nor the
# noun ("the monthly reports page"). A status a check reports ("all shards reported OK") is no one reporting a failure.
_SOMEONE_REPORTS_RE = re.compile(
    r"(?:^\W*(?![\w']*ed\b)[\w']+(?:\s+(?![\w']*ed\b)[\w']+)?\s+reports|(?<![\w-])(?:reported|complain(?:s|ed)))"
    r"(?![\w-])"
    r"(?!\s+(?:ok|okay|success\w*|green|healthy|fine|done|complete\w*|no\b|nothing))",
    re.IGNORECASE,
)


def _change_that_failed_first(changes: list[Tagged]) -> Tagged:
    """The last change before the first signal, unless it reports a failure of an earlier change it names.

    "destroy of ledger-db failed; apply exited with an error" two minutes after "apply started on merge" is
    the failure coming out of the earlier change, which set it off: the data connects them by shared words.
    """
    failing = next((i for i, t in enumerate(changes) if t.has("symptom")), None)
    if failing is None or failing == 0:
        return changes[-1]
    earlier = changes[failing - 1]
    return earlier if not earlier.has("symptom") and linked(earlier, changes[failing]) else changes[-1]


def _start(incident: Incident, events: tuple[Tagged, ...], trigger: Tagged | None) -> tuple[dt.datetime | None, str]:
    if incident.started_at is not None:
        return incident.started_at, "started_at (input)"
    marked = next((t for t in events if vocab.START_MARK.search(t.text)), None)
    if marked is not None:
        return marked.at, f"marked as the start ({marked.source}: {shorten(marked.text)})"
    if trigger is not None:
        return trigger.at, f"the change that set it off ({trigger.source}: {shorten(trigger.text)})"
    detected = incident.detected_at or next((t.at for t in events if t.has("alert", "report")), None)
    first = next((t for t in events if detected is not None and t.at < detected), None)
    if first is not None and dated_before_timeline(events) is not None:
        return None, BEFORE_TIMELINE  # "failing since 2025-05-12": the first event is not where the failure began
    if first is not None:
        return first.at, f"first event before detection ({first.source}: {shorten(first.text)})"
    return None, ""


BEFORE_TIMELINE = "dated by a finding to a day before the timeline"
_DATED_SIGNS = ("symptom", "finding", "observation", "cause_statement", "growth")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def named_day(match: re.Match[str]) -> tuple[int | None, int, int]:
    """(year or None, month, day) of the date a SINCE_DATE match names; a day no change is on matches none."""
    if match["year"]:
        return int(match["year"]), int(match["month"]), int(match["day"])
    name = (match["month_name"] or match["month_after"]).lower()[:3]
    return None, _MONTHS.index(name) + 1, int(match["day_of"] or match["day_before"])


def dated_before_timeline(events: tuple[Tagged, ...]) -> Tagged | None:
    """The first sign of the failure whose words date its start to a day before the first event ("authentication
    failures since 2025-05-12" in a timeline that opens on 2025-05-21): the failure began before the record, at a
    time the data does not give."""
    if not events:
        return None
    opens = events[0].at.date()
    for tagged in events:
        match = vocab.SINCE_DATE.search(tagged.text) if tagged.has(*_DATED_SIGNS) else None
        if match is None:
            continue
        year, month, day = named_day(match)
        try:
            named = dt.date(year or opens.year, month, day)
        except ValueError:
            continue
        if named < opens:
            return tagged
    return None


def _detection(
    incident: Incident, events: tuple[Tagged, ...], started: dt.datetime | None
) -> tuple[Tagged | None, dt.datetime | None, str]:
    signals = [t for t in events if t.has("alert", "report") and (started is None or t.at >= started)]
    if incident.detected_at is not None:
        at_time = [t for t in events if t.at == incident.detected_at]
        chosen = next((t for t in at_time if t.has("alert", "report")), at_time[0] if at_time else None)
        return chosen, incident.detected_at, "detected_at (input)"
    if not signals:
        return None, None, ""
    first = signals[0]
    kind = "report" if first.has("report") else "alert"
    return first, first.at, f"first {kind} ({first.source}: {shorten(first.text)})"


def _attempts(events: tuple[Tagged, ...], since: dt.datetime | None) -> Iterable[Attempt]:
    """Steps taken to stop the impact: mitigations and retries, and any change made after detection."""
    for tagged in events:
        if since is not None and tagged.at < since:
            continue
        after_detection = since is not None and tagged.at > since
        plain_change = tagged.has("change") and not tagged.has(*_NOT_A_STEP)
        if tagged.has("mitigation", "retry") or (after_detection and plain_change):
            outcome = (
                "failed"
                if tagged.has("failed")
                else "unknown"
                if tagged.has("begun")  # "began working on rollback"
                else "worked"
                if tagged.has("worked", "recovery")
                else "unknown"
            )
            yield Attempt(tagged, outcome)


def _credited(attempts: tuple[Attempt, ...], events: tuple[Tagged, ...]) -> tuple[Attempt, ...]:
    """The attempts, with a step of unknown outcome marked as worked where a later recovery names it as what it
    followed: "Memory flat after the rollback" credits the last rollback before it, and no other step."""
    credited: set[int] = set()
    for recovery in (t for t in events if t.has("recovery") and not t.has("mitigation", "retry", "failed")):
        named = {_step_family(m) for span in _STEP_REFERRED_TO_RE.finditer(recovery.text) for m in _steps_in(span[0])}
        earlier = [a.step for a in attempts if a.step.at <= recovery.at and named & _families(a.step.text)]
        if earlier:
            credited.add(earlier[-1].order)
    return tuple(
        Attempt(a.step, "worked") if a.step.order in credited and a.outcome == "unknown" else a for a in attempts
    )


def _steps_in(text: str) -> list[str]:
    return [m[0] for m in vocab.TAG_PATTERNS["mitigation"].finditer(text)]


def _families(text: str) -> set[str]:
    return {_step_family(m) for m in _steps_in(text)}


def _step_family(words: str) -> str:
    """ "rolled back" and "rollback", "restarted" and "restart": the same step, by its first letters."""
    return re.sub(r"[^a-z]", "", words.lower())[:4]


_STEP_REFERRED_TO_RE = re.compile(vocab.STEP_REFERRED_TO, re.IGNORECASE)


def _mitigation(
    incident: Incident, events: tuple[Tagged, ...], attempts: tuple[Attempt, ...], since: dt.datetime | None
) -> tuple[dt.datetime | None, str]:
    if incident.mitigated_at is not None:
        return incident.mitigated_at, "mitigated_at (input)"
    recoveries = [t for t in events if (since is None or t.at >= since) and t.has("recovery") and not t.has("failed")]
    stated = [t for t in recoveries if not _only_closes(t)]
    closing = recoveries  # a message closing the incident may still date the recovery ("resolved. healthy since 20:06")
    recoveries = stated or recoveries  # what the data says of the impact beats someone resolving the page
    if not recoveries:  # a release gate that stopped the change itself ended the impact where it did
        gate = next((a.step for a in attempts if a.step.has("gate_caught") and a.outcome == "worked"), None)
        if gate is not None:
            return gate.at, f"the release gate stopped the change ({gate.source}: {shorten(gate.text)})"
    if recoveries:
        recovered = _lasting_recovery(events, recoveries)
        stated_time = _recovery_time_stated_later(closing, recovered)
        if stated_time is not None:
            stated_at, statement = stated_time
            return stated_at, f"the recovery time the data states ({statement.source}: {shorten(statement.text)})"
        basis = "first recovery" if recovered is recoveries[0] else "recovery after impact the data reports as ongoing"
        return recovered.at, f"{basis} ({recovered.source}: {shorten(recovered.text)})"
    declared = next((t for t in events if (since is None or t.at >= since) and t.has("resolution")), None)
    if declared is not None:
        return declared.at, f"first resolution ({declared.source}: {shorten(declared.text)})"
    return None, ""


def _recovery_time_stated_later(recoveries: list[Tagged], recovered: Tagged) -> tuple[dt.datetime, Tagged] | None:
    """The time a later recovery message gives for the recovery itself ("Resolved. orders-api healthy since 20:06"),
    when it falls between the recovery chosen and that message: the team dates the end of the impact, and a
    first all-clear of one part (the database alert resolving at 20:05) came before it. A time before the
    recovery chosen ("the cache has been healthy since 10:01", said while the failure went on) moves nothing."""
    for tagged in recoveries:
        if tagged.at <= recovered.at or (match := _HEALTHY_SINCE_RE.search(tagged.text)) is None:
            continue
        stated = tagged.at.replace(hour=int(match["hour"]), minute=int(match["minute"]), second=0, microsecond=0)
        if stated > tagged.at:  # "since 23:50" said at 00:10: the day before
            stated -= dt.timedelta(days=1)
        if recovered.at <= stated <= tagged.at:
            return stated, tagged
    return None


# "healthy since 20:06", "back to normal since 09:41 UTC", "working again since 14:02": a recovery dated by its text.
_HEALTHY_SINCE_RE = re.compile(
    r"\b(?:healthy|normal|recovered|working(?: normally| again)?|up|stable|fine|green|ok)\s+since\s+"
    r"(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)\b",
    re.IGNORECASE,
)


def _only_closes(tagged: Tagged) -> bool:
    """A person closing the incident ("Resolved by Lena Park", "Incident resolved"), which says nothing of when the
    impact stopped, unlike monitoring that resolves an alert or a text that states the recovery."""
    return (
        tagged.has("resolution")
        and tagged.source != "alert"
        and _only_inside(vocab.TAG_PATTERNS["recovery"], tagged.text, _RESOLVED_RE)
    )


_RESOLVED_RE = re.compile(r"\bresolved\b", re.IGNORECASE)


def _lasting_recovery(events: tuple[Tagged, ...], recoveries: list[Tagged]) -> Tagged:
    """The recovery that held: a later event saying the failure still goes on moves mitigation to the next one.

    "429s are now most of the traffic, users keep retrying" after a first all-clear means users were still
    affected; the impact stopped at the next recovery the data reports, not the first. So does a recovery that
    itself still reports the failure at a level ("5xx back under 0.5%; render errors back to about 2% of downloads").
    """
    chosen = recoveries[0]
    while True:
        still = (
            chosen
            if _recovered_in_part(chosen)
            else next((t for t in events if t.at > chosen.at and _reports_ongoing_failure(t)), None)
        )
        after = None if still is None else next((r for r in recoveries if r.at > still.at), None)
        if after is None:
            return chosen
        chosen = after


def _reports_ongoing_failure(tagged: Tagged) -> bool:
    return tagged.has("symptom") and tagged.has("ongoing") and not tagged.has("recovery", "resolution", "worked")


def _recovered_in_part(tagged: Tagged) -> bool:
    """A recovery with a clause that states a failure at a share above nothing and recovers nothing: "export errors
    back to about 3% of downloads" beside "5xx back under 0.2%" (never "error rate under 0.1%")."""
    return any(
        _FAILURE_LEVEL_RE.search(clause)
        and vocab.TAG_PATTERNS["symptom"].search(clause)
        and not vocab.TAG_PATTERNS["recovery"].search(clause)
        for clause in _CLAUSE_RE.split(tagged.text)
    )


_CLAUSE_RE = re.compile(r"[;.]\s+")
_FAILURE_LEVEL_RE = re.compile(r"(?<!under )(?<!below )(?<![\d.,])(?:0[.,]\d*[1-9]|[1-9])[\d.,]*\s*%", re.IGNORECASE)


def _resolution(incident: Incident, events: tuple[Tagged, ...]) -> tuple[dt.datetime | None, str]:
    if incident.resolved_at is not None:
        return incident.resolved_at, "resolved_at (input)"
    closing = next((t for t in reversed(events) if t.has("resolution")), None)
    if closing is not None:
        return closing.at, f"last resolution event ({closing.source}: {shorten(closing.text)})"
    return None, ""


def linked(earlier: Tagged, later: Tagged) -> frozenset[str]:
    """The specific words two events share when the first comes before the second: how the data connects them."""
    if earlier.at is None or later.at is None or earlier.at > later.at:
        return frozenset()
    return earlier.stems & later.stems


def is_slow(lag: dt.timedelta | None) -> bool:
    """A detection or recovery lag long enough to ask about."""
    return lag is not None and lag > SLOW_DETECTION


__all__ = [
    "Attempt",
    "Reading",
    "Tagged",
    "dated_before_timeline",
    "find_trigger",
    "from_monitoring",
    "is_slow",
    "linked",
    "named_day",
    "paged_by_person",
    "read_incident",
    "tags_of",
    "went_unanswered",
]
