"""Cause categories shared by the engines and the memory, and what a timeline says about causes.

``classify_causes`` labels any text with the cause vocabulary below (the vector memory
stores these labels as metadata). ``read_timeline`` picks out the events a causal analysis
rests on: the trigger, the first symptom, the detection, diagnosis, retries. The 5 Whys and
``contributing_factors`` both build on that reading, so they agree on what happened.
Everything here only restates the input: times are printed in the offset the input used.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from pm_agent.engines import cause_rules as rules
from pm_agent.models import Incident, TimelineEvent

CAUSE_CATEGORIES: tuple[str, ...] = (
    "config",
    "deploy",
    "hardware",
    "database",
    "time",
    "concurrency",
    "network",
    "capacity",
    "dependency",
    "security",
    "human-process",
    "cascading",
    "kubernetes",
    "control-plane",
    "observability",
    "other",
)
EXCERPT_LIMIT = 140
SLOW_DETECTION = dt.timedelta(minutes=30)


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


# --- quoting the input ----------------------------------------------------------------------


def when(moment: dt.datetime) -> str:
    """``2021-06-22 08:21 UTC``, or ``2019-11-30 08:24 (UTC+01:00)``: the offset the input used."""
    stamp = moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")
    offset = moment.utcoffset()
    if not offset:
        return f"{stamp} UTC"
    return f"{stamp} (UTC{moment.isoformat()[-6:]})"


def excerpt(text: str, focus: re.Pattern[str] | None = None, limit: int = EXCERPT_LIMIT) -> str:
    """A verbatim piece of ``text``: the sentence ``focus`` matches, else all of it when short,
    else the first sentence; cut at a word boundary."""
    whole = text.strip()
    sentences = [s.strip() for s in SENTENCE_END_RE.split(whole) if s.strip()]
    focused = next((s for s in sentences if focus.search(s)), None) if focus is not None else None
    if focused is None and len(whole) <= limit:
        return whole
    chosen = focused or (sentences[0] if sentences else whole)
    if len(chosen) <= limit:
        return chosen
    cut = chosen[:limit]
    return cut[: cut.rfind(" ")].rstrip(" ,;:") if " " in cut else cut


SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+|\n+")


def quote(event: TimelineEvent, focus: re.Pattern[str] | None = None) -> str:
    """The event's excerpt for a sentence we write, with people's names replaced by a role.

    Only a person's name is replaced, and only as a whole word: a tool that acts ("PagerDuty",
    "deploy-bot") stays named, and a name inside another word is left alone.
    """
    text = excerpt(event.text, focus)
    actor = (event.actor or "").strip()
    if actor and not is_system_actor(actor):
        name = re.compile(rf"(?<![\w@.-]){re.escape(actor)}(?![\w-])", re.IGNORECASE)
        text = name.sub("a team member", text)
    return rules.HANDLE_RE.sub("a team member", text).rstrip(".")


SYSTEM_ACTOR_RE = re.compile(
    r"(?:\b|_)(?:bot|ci|cd|cron|pipeline|automation|system|scheduler|monitor(?:ing)?|alert(?:manager|s)?|"
    r"pagerduty|opsgenie|datadog|grafana|prometheus|nagios|sentry|new\s?relic|statuspage|github|gitlab|"
    r"jenkins|argo(?:cd)?|spinnaker|terraform|kubernetes|k8s|slack|jira|aws|gcp|azure|cloudwatch)(?:\b|_)",
    re.IGNORECASE,
)


def is_system_actor(actor: str) -> bool:
    """True for "PagerDuty", "deploy-bot", "github-actions", "Alertmanager"; false for "dana.ortiz"."""
    return bool(SYSTEM_ACTOR_RE.search(actor))


def cite(event: TimelineEvent, focus: re.Pattern[str] | None = None) -> str:
    """``at 2021-06-22 08:21 UTC: "VPC CNI replaced by the pipeline"``."""
    return f'at {when(event.at)}: "{quote(event, focus)}"'


# --- reading the timeline -------------------------------------------------------------------


class EventSet:
    """Membership in a list of events, answered as ``event in the_list`` would be, in constant time.

    ``in`` on a list of pydantic models compares with ``==`` field by field: on thousands of
    events a filter like ``[e for e in a if e in b]`` becomes quadratic. Equal events share
    their time, source and text, so only the few events under that key are compared here, with
    the list's own test (``is`` or ``==``); the answer is the list's, duplicates included.
    """

    def __init__(self, events: Iterable[TimelineEvent]) -> None:
        self._events = list(events)
        self._ids = {id(event) for event in self._events}  # most questions are about these very events
        self._by_key: dict[tuple[object, ...], list[TimelineEvent]] | None = None

    def __contains__(self, event: object) -> bool:
        if id(event) in self._ids:  # ``is`` (the ids are of events this set keeps alive)
            return True
        if not isinstance(event, TimelineEvent):
            return False
        if self._by_key is None:
            self._by_key = {}
            for member in self._events:
                self._by_key.setdefault(_event_key(member), []).append(member)
        return any(member == event for member in self._by_key.get(_event_key(event), ()))


def _event_key(event: TimelineEvent) -> tuple[object, ...]:
    return (event.at, event.source, event.text)


@dataclass(frozen=True)
class TimelineReading:
    """The events a causal analysis rests on. Any of them may be missing."""

    events: tuple[TimelineEvent, ...]
    started: dt.datetime | None
    trigger: TimelineEvent | None
    symptom: TimelineEvent | None
    detected: dt.datetime | None
    detection: TimelineEvent | None
    reported_by_people: bool
    first_alert: TimelineEvent | None
    diagnoses: tuple[TimelineEvent, ...]
    retries: tuple[TimelineEvent, ...]
    blockers: tuple[TimelineEvent, ...]
    mitigations: tuple[TimelineEvent, ...]
    resolved: dt.datetime | None

    @property
    def detection_lag_is_long(self) -> bool:
        """True when the start and detection are both known and far apart."""
        return bool(self.started and self.detected and self.detected - self.started > SLOW_DETECTION)


def read_timeline(incident: Incident) -> TimelineReading:
    """Pick out the trigger, symptom, detection, diagnosis and recovery events of ``incident``."""
    events = tuple(sorted(incident.events, key=lambda e: e.at))
    trigger = find_trigger(events, incident.started_at, incident.detected_at)
    detection, detected = find_detection(events, incident, trigger)
    symptom = find_symptom(events, incident.started_at, trigger, detected)
    after_start = incident.started_at or (trigger.at if trigger else None) or (events[0].at if events else None)
    recovery_from = detected or after_start
    later = [e for e in events if recovery_from and e.at >= recovery_from and e is not trigger]
    return TimelineReading(
        events=events,
        started=incident.started_at,
        trigger=trigger,
        symptom=symptom,
        detected=detected,
        detection=detection,
        reported_by_people=bool(detection and is_human_report(detection)),
        first_alert=next((e for e in events if after_start and e.at >= after_start and is_alert(e)), None),
        diagnoses=tuple(e for e in events if _after(e, after_start) and is_diagnosis(e) and e is not trigger),
        retries=tuple(e for e in later if rules.RETRY_RE.search(e.text)),
        blockers=tuple(e for e in later if is_blocker(e)),
        mitigations=tuple(e for e in events if _after(e, after_start) and is_mitigation(e)),
        resolved=incident.resolved_at or incident.mitigated_at,
    )


def find_trigger(
    events: Iterable[TimelineEvent], started: dt.datetime | None, detected: dt.datetime | None
) -> TimelineEvent | None:
    """The change or load event that set the incident off.

    With a start time: a change at the start, else the nearest one before it. Without one:
    the earliest change before the first detection.
    """
    candidates = [e for e in events if is_trigger_like(e)]
    if started is not None:
        at_start = [e for e in candidates if e.at == started and (e.source == "deploy" or not is_failure(e))]
        before = [e for e in candidates if e.at < started and not is_mitigation(e)]
        return at_start[0] if at_start else (before[-1] if before else None)
    limit = detected or next((e.at for e in events if is_human_report(e) or is_alert(e)), None)
    before = [e for e in candidates if (limit is None or e.at < limit) and not is_mitigation(e)]
    return before[0] if before else None


def find_detection(
    events: tuple[TimelineEvent, ...], incident: Incident, trigger: TimelineEvent | None
) -> tuple[TimelineEvent | None, dt.datetime | None]:
    """The event that first noticed the failure, and the detection time (stated or from that event)."""
    if incident.detected_at is not None:
        at_time = [e for e in events if e.at == incident.detected_at]
        noticing = [e for e in at_time if is_human_report(e) or is_alert(e)]
        chosen = noticing[0] if noticing else (at_time[0] if at_time else None)
        return chosen, incident.detected_at
    start = incident.started_at or (trigger.at if trigger else None)
    chosen = next(
        (
            e
            for e in events
            if (start is None or e.at >= start) and e is not trigger and (is_human_report(e) or is_alert(e))
        ),
        None,
    )
    return chosen, (chosen.at if chosen else None)


def find_symptom(
    events: tuple[TimelineEvent, ...],
    started: dt.datetime | None,
    trigger: TimelineEvent | None,
    detected: dt.datetime | None,
) -> TimelineEvent | None:
    """The first event showing the failure itself: at the start, else after the trigger and up to detection."""
    at_start = [e for e in events if started and e.at == started and e is not trigger and is_failure(e)]
    if at_start:
        return at_start[0]
    begin = trigger.at if trigger else started
    for event in events:
        if event is trigger or (begin and event.at < begin):
            continue
        if (detected and event.at > detected) or is_mitigation(event):
            break
        if is_failure(event) or is_human_report(event) or is_alert(event):
            return event
    return trigger if trigger and is_failure(trigger) else None


def is_trigger_like(event: TimelineEvent) -> bool:
    """A change (deploy, config, pipeline, scale-up) or a load event; not a fix."""
    if event.phase in ("mitigation", "resolution"):
        return False
    changed = event.source == "deploy" or bool(rules.CHANGE_RE.search(event.text))
    return (changed or bool(rules.LOAD_RE.search(event.text))) and not is_human_report(event)


def is_blocker(event: TimelineEvent) -> bool:
    """Something that held recovery up (a timeout, a lock, a failed attempt), not its clearing."""
    text = event.text
    return bool(rules.BLOCKER_RE.search(text)) and not rules.DONE_RE.search(text) and not is_human_report(event)


def is_failure(event: TimelineEvent) -> bool:
    return bool(rules.FAILURE_RE.search(event.text))


def is_human_report(event: TimelineEvent) -> bool:
    """A person (customer, user, support) told the team, rather than an alert."""
    return _human_report(event.text)


def is_alert(event: TimelineEvent) -> bool:
    """An automated alert or page (a page raised by a person's escalation is not one)."""
    return _alert(event.source, event.text)


# The two questions asked most often, several times about each event: answered once per text.
@lru_cache(maxsize=1 << 14)
def _human_report(text: str) -> bool:
    return bool(rules.HUMAN_REPORT_RE.search(text))


@lru_cache(maxsize=1 << 14)
def _alert(source: str, text: str) -> bool:
    if _human_report(text) or rules.HUMAN_ESCALATION_RE.search(text):
        return False
    return source in ("alert", "page") or (source != "deploy" and bool(rules.ALERT_RE.search(text)))


def is_diagnosis(event: TimelineEvent) -> bool:
    """A finding about the cause (identified, found, concluded, due to...)."""
    return bool(rules.DIAGNOSIS_RE.search(event.text)) and not is_human_report(event) and not is_alert(event)


def is_mitigation(event: TimelineEvent) -> bool:
    return event.phase in ("mitigation", "resolution") or bool(rules.MITIGATION_RE.search(event.text))


def _after(event: TimelineEvent, moment: dt.datetime | None) -> bool:
    return moment is None or event.at >= moment


# --- contributing factors -------------------------------------------------------------------

MAX_PER_KIND = 2


def contributing_factors(incident: Incident, *, reading: TimelineReading | None = None) -> list[str]:
    """Candidate contributing factors read from the timeline, each citing the event time.

    Each is a fact-based candidate for the review to confirm: how detection happened,
    warning signs before the start, unintended changes, retries and blocked recovery,
    manual steps without a runbook, alert noise, late declaration. No person is named.
    ``reading`` is ``read_timeline(incident)`` when the caller has it already.
    """
    reading = reading if reading is not None else read_timeline(incident)
    window = _incident_window(reading)
    found: list[str] = []
    for finder in FACTOR_FINDERS:
        for factor in finder(reading, window):
            if factor not in found:
                found.append(factor)
    return found


def _incident_window(reading: TimelineReading) -> list[TimelineEvent]:
    """The events up to resolution (later events belong to the follow-up, not the incident)."""
    return [e for e in reading.events if reading.resolved is None or e.at <= reading.resolved]


def _people_detected(reading: TimelineReading, window: list[TimelineEvent]) -> list[str]:
    detection = reading.detection
    if not (reading.reported_by_people and detection):
        return []
    factor = f"Candidate: detection came from a report, not an alert, {cite(detection, rules.HUMAN_REPORT_RE)}."
    alert = reading.first_alert
    if alert and alert.at > detection.at:
        factor += f" The first alert followed {cite(alert, rules.ALERT_RE)}."
    elif alert is None or alert.at > detection.at:
        factor += " No alert appears in the timeline before it."
    return [factor]


def _slow_alert(reading: TimelineReading, window: list[TimelineEvent]) -> list[str]:
    if reading.reported_by_people or not (reading.detection_lag_is_long and reading.detection):
        return []
    return [
        f"Candidate: the failure started at {when(reading.started)} and was first detected {cite(reading.detection)}."
    ]


def _precursor(reading: TimelineReading, window: list[TimelineEvent]) -> list[str]:
    start = reading.trigger.at if reading.trigger else reading.started
    if start is None:
        return []
    early = next((e for e in window if e.at < start and e is not reading.trigger and is_failure(e)), None)
    return (
        [f"Candidate: an earlier warning sign preceded the incident, {cite(early, rules.FAILURE_RE)}."] if early else []
    )


def _unintended(reading: TimelineReading, window: list[TimelineEvent]) -> list[str]:
    hits = [e for e in window if rules.UNINTENDED_RE.search(e.text)][:MAX_PER_KIND]
    return [
        f"Candidate: the timeline records an unintended or unexpected change, {cite(e, rules.UNINTENDED_RE)}."
        for e in hits
    ]


def _retries(reading: TimelineReading, window: list[TimelineEvent]) -> list[str]:
    members = EventSet(window)
    hits = [e for e in reading.retries if e in members][:MAX_PER_KIND]
    return [f"Candidate: recovery needed a repeated attempt, {cite(e, rules.RETRY_RE)}." for e in hits]


def _blockers(reading: TimelineReading, window: list[TimelineEvent]) -> list[str]:
    members, retries = EventSet(window), EventSet(reading.retries)
    hits = [e for e in reading.blockers if e in members and e not in retries and e is not reading.symptom]
    return [f"Candidate: recovery was held up, {cite(e, rules.BLOCKER_RE)}." for e in hits[:MAX_PER_KIND]]


def _no_rollback(reading: TimelineReading, window: list[TimelineEvent]) -> list[str]:
    trigger = reading.trigger
    if trigger is None or not rules.CHANGE_RE.search(trigger.text) and trigger.source != "deploy":
        return []
    after = [e for e in window if e.at > trigger.at]
    if any(rules.ROLLBACK_RE.search(e.text) for e in after):
        return []
    factor = f"Candidate: no rollback of the change {cite(trigger)} appears in the timeline."
    fix = next((e for e in after if is_mitigation(e)), None)
    return [factor + (f" Recovery went forward instead, {cite(fix, rules.MITIGATION_RE)}." if fix else "")]


def _manual_steps(reading: TimelineReading, window: list[TimelineEvent]) -> list[str]:
    start = reading.started or (reading.trigger.at if reading.trigger else None)
    hits = [e for e in window if _after(e, start) and rules.MANUAL_RE.search(e.text)][:MAX_PER_KIND]
    return [f"Candidate: a manual step with no runbook referenced, {cite(e, rules.MANUAL_RE)}." for e in hits]


def _misdiagnosis(reading: TimelineReading, window: list[TimelineEvent]) -> list[str]:
    hit = next((e for e in window if rules.MISDIAGNOSIS_RE.search(e.text)), None)
    return (
        [
            "Candidate: the response worked from an assumption or an investigation that missed the cause, "
            f"{cite(hit, rules.MISDIAGNOSIS_RE)}."
        ]
        if hit
        else []
    )


def _repeated_reports(reading: TimelineReading, window: list[TimelineEvent]) -> list[str]:
    if reading.detection is None or not reading.reported_by_people:
        return []
    fixed_at = next((e.at for e in reading.mitigations if e.at > reading.detection.at), None)
    more = [
        e
        for e in window
        if e.at > reading.detection.at and (fixed_at is None or e.at < fixed_at) and is_human_report(e)
    ][:MAX_PER_KIND]
    return [f"Candidate: further reports arrived before recovery, {cite(e, rules.HUMAN_REPORT_RE)}." for e in more]


def _alert_noise(reading: TimelineReading, window: list[TimelineEvent]) -> list[str]:
    noisy = [e for e in window if rules.ALERT_NOISE_RE.search(e.text)][:MAX_PER_KIND]
    factors = [f"Candidate: alert noise, {cite(e, rules.ALERT_NOISE_RE)}." for e in noisy]
    same_text: dict[str, list[TimelineEvent]] = {}
    for alert in (e for e in window if is_alert(e)):
        same_text.setdefault(alert.text, []).append(alert)
    for repeats in same_text.values():
        if len(repeats) >= 3:
            times = ", ".join(when(e.at) for e in repeats)
            factors.append(
                f'Candidate: alert noise, the same alert fired repeatedly (at {times}): "{quote(repeats[0])}".'
            )
    return factors


def _late_declaration(reading: TimelineReading, window: list[TimelineEvent]) -> list[str]:
    relief = reading.resolved or next((e.at for e in reading.mitigations), None)
    for event in reading.events:
        late = relief is not None and event.at > relief and rules.DECLARED_RE.search(event.text)
        if rules.RETROACTIVE_RE.search(event.text) or late:
            return [f"Candidate: the incident was declared after mitigation, {cite(event, rules.DECLARED_RE)}."]
    return []


def _stated_gaps(reading: TimelineReading, window: list[TimelineEvent]) -> list[str]:
    hits = [e for e in window if rules.STATED_GAP_RE.search(e.text)][:MAX_PER_KIND]
    return [f"Candidate: the timeline states a gap in safeguards, {cite(e, rules.STATED_GAP_RE)}." for e in hits]


def _handover(reading: TimelineReading, window: list[TimelineEvent]) -> list[str]:
    hit = next((e for e in window if rules.HANDOVER_RE.search(e.text)), None)
    return (
        [f"Candidate: work was handed over between teams during the incident, {cite(hit, rules.HANDOVER_RE)}."]
        if hit
        else []
    )


FACTOR_FINDERS = (
    _people_detected,
    _slow_alert,
    _precursor,
    _unintended,
    _retries,
    _blockers,
    _no_rollback,
    _manual_steps,
    _misdiagnosis,
    _repeated_reports,
    _alert_noise,
    _late_declaration,
    _handover,
    _stated_gaps,
)
