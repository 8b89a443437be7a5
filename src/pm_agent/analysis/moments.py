"""The moments of an incident the data marks, and the steps taken between them.

Over the tagged events (:mod:`pm_agent.analysis.tagging`): the change that set the failure off
(:func:`find_trigger`), when the impact started, how and when it was detected, which recovery attempts failed
and which worked, when the impact stopped and when the incident was resolved. A moment the data does not mark
is ``None`` with an empty basis; :func:`pm_agent.analysis.evidence.read_incident` puts them together.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.quoting import shorten
from pm_agent.analysis.tagging import Tagged, linked, only_inside
from pm_agent.models import Incident


@dataclass(frozen=True)
class Attempt:
    """A step taken to stop the impact, and what the data says came of it."""

    step: Tagged
    outcome: str  # "worked", "failed", or "unknown"


# A change mentioned in these is what someone found or saw, not a step taken to recover.
_NOT_A_STEP = ("report", "alert", "finding", "investigation", "negative", "observation", "cause_statement", "symptom")


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


def find_start(
    incident: Incident, events: tuple[Tagged, ...], trigger: Tagged | None
) -> tuple[dt.datetime | None, str]:
    """When the impact started, and on what basis: the input's time, an event marked as the start, the change that set
    it off, or the first event before detection (none when the data dates the failure to before the timeline)."""
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


def find_detection(
    incident: Incident, events: tuple[Tagged, ...], started: dt.datetime | None
) -> tuple[Tagged | None, dt.datetime | None, str]:
    """The event that detected the failure, when, and on what basis: the input's time, else the first alert or report
    after the start."""
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


def find_attempts(events: tuple[Tagged, ...], since: dt.datetime | None) -> Iterable[Attempt]:
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


def credit_attempts(attempts: tuple[Attempt, ...], events: tuple[Tagged, ...]) -> tuple[Attempt, ...]:
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


def find_mitigation(
    incident: Incident, events: tuple[Tagged, ...], attempts: tuple[Attempt, ...], since: dt.datetime | None
) -> tuple[dt.datetime | None, str]:
    """When the impact stopped, and on what basis: the input's time, the recovery that held (a step whose own check
    found the service working counts: "removed the rule, verified the balancer forwarded /api"), a release gate
    stopping the change, or the first resolution."""
    if incident.mitigated_at is not None:
        return incident.mitigated_at, "mitigated_at (input)"
    recoveries = [t for t in events if (since is None or t.at >= since) and t.has("recovery") and not t.has("failed")]
    verified = [a.step for a in attempts if a.outcome == "worked" and _verifies_it_works(a.step.text)]
    recoveries = sorted({t.order: t for t in recoveries + verified}.values(), key=lambda t: t.order)
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


def _verifies_it_works(text: str) -> bool:
    """Whether a step's text says a check after it found the service working ("removed the Ingress object, verified
    that Traefik forwarded to services"): the recovery seen at that step. Never a check that found it still broken
    ("verified it did not forward", "verified that it responds with 503", "verified it no longer serves")."""
    return any(
        not vocab.TAG_PATTERNS["failed"].search(match[0]) and not vocab.TAG_PATTERNS["symptom"].search(match[0])
        for match in _VERIFIED_WORKING_RE.finditer(text)
    )


# "verified that Traefik forwarded to ...", "confirmed the site loads": a check naming something, then a verb of it
# serving, up to the end of the clause (whose words must state no failure). No "not", "never", "still" or "no longer"
# between the check and the verb, and nothing served ("processed no messages").
_VERIFIED_WORKING_RE = re.compile(
    r"\b(?:verified|confirmed)(?:\s+that)?\s+(?:(?!(?:not|never|no|longer|still)\b)[\w./-]+\s+){1,4}?(?:now\s+)?"
    r"(?:forward(?:s|ed)|serv(?:es|ed)|respond(?:s|ed)|answer(?:s|ed)|rout(?:es|ed)|loads|loaded|connect(?:s|ed)|"
    r"reach(?:es|ed)|works|worked|accept(?:s|ed)|deliver(?:s|ed)|process(?:es|ed))\b"
    r"(?!\s+(?:no|none|nothing|zero)\b)[^.;]*",
    re.IGNORECASE,
)


def after_the_last_failure(attempts: list[Attempt], events: tuple[Tagged, ...], until: dt.datetime) -> list[Attempt]:
    """The attempts taken after the last report of the failure up to ``until``, when any was; else all of them.

    A step the data reports the failure after did not end the impact, whatever it says of itself: a pipeline
    "re-queued and finishes successfully", then "daemon sets not scheduled", then pods deleted by hand and the
    all-clear: the pod deletion ended it. A finding (what someone found of the past) or a check that found nothing
    wrong is no report of the failure going on.
    """
    failures = [t for t in events if t.at <= until and _reports_failure(t)]
    later = [a for a in attempts if failures and a.step.order > failures[-1].order]
    return later or attempts


def _reports_failure(tagged: Tagged) -> bool:
    return tagged.has("symptom", "limit_reached", "alert", "report") and not tagged.has(
        "recovery", "worked", "resolution", "mitigation", "retry", "change", "finding", "negative"
    )


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
        and only_inside(vocab.TAG_PATTERNS["recovery"], tagged.text, _RESOLVED_RE)
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


def find_resolution(incident: Incident, events: tuple[Tagged, ...]) -> tuple[dt.datetime | None, str]:
    """When the incident was resolved, and on what basis: the input's time, else the last resolution event."""
    if incident.resolved_at is not None:
        return incident.resolved_at, "resolved_at (input)"
    closing = next((t for t in reversed(events) if t.has("resolution")), None)
    if closing is not None:
        return closing.at, f"last resolution event ({closing.source}: {shorten(closing.text)})"
    return None, ""


__all__ = [
    "BEFORE_TIMELINE",
    "Attempt",
    "after_the_last_failure",
    "credit_attempts",
    "dated_before_timeline",
    "find_attempts",
    "find_detection",
    "find_mitigation",
    "find_resolution",
    "find_start",
    "find_trigger",
    "named_day",
]
