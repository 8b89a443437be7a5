"""What one event's words say it is: the vocabulary's tags for a text, and what the text of one event tells.

:func:`tags_of` applies the vocabulary (:mod:`pm_agent.analysis.vocabulary`) to one event text, each tag's
pattern run only on a text holding a word it needs. The predicates here read one event at a time (whether an
alert came from monitoring, a page from a person, a step was taken here), and :class:`Tagged` is an event with
its tags. Nothing here sees the whole incident: that is :mod:`pm_agent.analysis.evidence` (the reading) and
:mod:`pm_agent.analysis.moments` (the moments it marks).
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.quoting import NOTES, sentences_of
from pm_agent.analysis.terms import content_stems, weight
from pm_agent.models import TimelineEvent, UndatedEvent
from pm_agent.textscan.required import WordFilteredPatterns

ALERT_SOURCES = ("alert", "page")


@lru_cache(maxsize=1 << 14)
def tags_of(text: str, source: str) -> frozenset[str]:
    """The vocabulary's tags for one event text from one source."""
    tags = _words_tags(text)
    if "symptom" in tags and not _unnegated(vocab.TAG_PATTERNS["symptom"], text):
        tags.discard("symptom")
    if "alert" in tags and "declaration" in tags and source not in ALERT_SOURCES and not _AUTOMATED_RE.search(text):
        tags.discard("alert")  # "the drill lead paged the on-call": a person escalating, not monitoring
    if "declaration" in tags and only_inside(vocab.TAG_PATTERNS["declaration"], text, _STATUS_PAGE_READ_RE):
        tags.discard("declaration")  # "the vendor's status pages are all green": read while investigating, not opened
    if "finding" in tags and only_inside(vocab.TAG_PATTERNS["finding"], text, _QUOTED_RE):
        tags.discard("finding")  # "files show 'not found'": the message users see, not someone finding something
    if "followup" in tags and not _unnegated(vocab.TAG_PATTERNS["followup"], text):
        tags.discard("followup")  # "no ticket filed": the text records that nothing was decided
    if "followup" in tags and not _decided(text):
        tags.discard("followup")  # "enabling daemonsets to be scheduled": what a step let happen, not a step left
    if "communication" in tags and only_inside(vocab.TAG_PATTERNS["communication"], text, _REPORT_BY_MESSAGE_RE):
        tags.discard("communication")  # "a customer emailed support": the failure reaching the team, not people told
    if "symptom" in tags and only_inside(vocab.TAG_PATTERNS["symptom"], text, _CLEANED_UP_RE):
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
    return only_inside(vocab.TAG_PATTERNS["mitigation"], text, _NOT_DONE_HERE_RE)


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


def only_inside(pattern: re.Pattern[str], text: str, container: re.Pattern[str]) -> bool:
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


def linked(earlier: Tagged, later: Tagged) -> frozenset[str]:
    """The specific words two events share when the first comes before the second: how the data connects them."""
    if earlier.at is None or later.at is None or earlier.at > later.at:
        return frozenset()
    return earlier.stems & later.stems


__all__ = [
    "ALERT_SOURCES",
    "Tagged",
    "from_monitoring",
    "linked",
    "no_step_taken",
    "notes_as_events",
    "only_inside",
    "paged_by_person",
    "passed_on_by_a_person",
    "specific_stems",
    "tags_of",
    "went_unanswered",
    "what_happened",
    "without_vocabulary",
]
