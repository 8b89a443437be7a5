"""What the data says about the cause: findings and cause statements quoted, links only where the data makes them.

Offline, the engine cannot know what the team concluded in the review. It can say what the
incident data states (a finding, an explicit "due to", an observation made while investigating, a
missing safeguard someone wrote down, the change the input marks as the start) and connect two
such events only where the data connects them: the earlier one comes first *and* both name the
same component, or a finding dates what it describes to the day of one change ("grown ... since
2025-06-03"). A "so" about how users were affected ("late rather than lost") is about the impact,
not the cause. Everything else is a question for the review.
"""

from __future__ import annotations

import re

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.clauses import (
    CAUSE,
    FINDING,
    FIX,
    OBSERVED,
    RECOVERY,
    Meaning,
    naming,
    narrowed,
    saying,
    stated,
)
from pm_agent.analysis.evidence import Reading, once_per_reading
from pm_agent.analysis.limits import RaisedLimit, implicated_limit, raised_limit, shows_at_limit
from pm_agent.analysis.moments import after_the_last_failure, named_day
from pm_agent.analysis.quoting import evidence, excerpt, said
from pm_agent.analysis.tagging import Tagged, linked, specific_stems, what_happened
from pm_agent.analysis.terms import content_stems, words
from pm_agent.models import Evidence, Finding, UndatedEvent

MAX_LINKS = 3
MAX_FINDINGS = 8


def read_findings(reading: Reading) -> list[Finding]:
    """The findings, in time order: the trigger as placed, what was found or stated, what was ruled out, gaps, links."""
    out: list[Finding] = []
    if reading.trigger is not None:
        out.append(trigger_finding(reading))
    stated = [t for t in reading.findings if t is not reading.trigger][:MAX_FINDINGS]
    out += [_finding(t) for t in stated]
    fix = fix_event(reading)
    revert, raised = reverting_fix(reading), raised_limit(reading)
    read_closer = [t for t in (revert[0] if revert else None, raised.step if raised else None) if t is not None]
    if fix is not None and fix not in stated and fix not in read_closer:  # a revert or raise says more of the step
        out.append(
            Finding(
                kind="fix",
                statement=f"The step that ended the impact shows what was broken: {said(narrowed(fix.event, FIX))}.",
                evidence=_evidence(fix, meant=FIX),
            )
        )
    waited = recovery_waited_on(reading)
    if waited is not None:
        out.append(
            Finding(
                kind="recovery",
                statement="About the recovery, not the incident's cause: the data says what the end of the impact "
                f"waited on: {said(narrowed(waited.event, _WAITED_ON))}.",
                evidence=_evidence(waited, meant=_WAITED_ON),
            )
        )
    stalled = automatic_recovery_that_failed(reading)
    if stalled is not None and stalled not in stated:  # a stated one is quoted above, as a step held up
        out.append(
            Finding(
                kind="recovery",
                statement="About the recovery, not the incident's cause: the data says why the automatic recovery did "
                f"not end the failure: {said(stalled.event)}.",
                evidence=_evidence(stalled),
            )
        )
    if revert is not None:
        out.append(Finding(kind="revert", statement=implicated(*revert), evidence=_evidence(revert[0])))
    if raised is not None:
        out.append(Finding(kind="limit", statement=implicated_limit(raised), evidence=_evidence(raised.step)))
    out += [
        _quoted("negative", "The data records what was assumed or ruled out at the time", t) for t in reading.negatives
    ]
    out += [_quoted("gap", "The data records a missing safeguard", t) for t in reading.tagged("gap") if t not in stated]
    out += links(reading, stated)
    out += [
        Finding(
            kind="link",
            statement=f"{_BY_A_DATE.format(day=day)}: {said(change.event)}, then {said(later.event)}.",
            evidence=_evidence(change) + _evidence(later),
        )
        for change, later, day in date_links(reading)
    ]
    if raised is not None:
        out += limit_links(raised)
    return out


_BY_A_DATE = (
    "The data connects two events by a date, {day}, the day of the change and the day the later one says it began"
)


def trigger_finding(reading: Reading) -> Finding:
    """Where the data places the change that set the failure off: marked by the input, at the start, or just before it."""
    trigger = reading.trigger
    placed = started_with(reading) or "The last change before the failure began"
    return Finding(kind="trigger", statement=f"{placed}: {said(trigger.event)}.", evidence=_evidence(trigger))


def started_with(reading: Reading) -> str | None:
    """How the data says the failure started with its trigger (the input marks the change, or the change is at the
    start), as the lead of a sentence; None when the trigger is only the last change before the start, or none."""
    trigger = reading.trigger
    if trigger is None:
        return None
    if vocab.CULPRIT_MARK.search(trigger.text):
        return "The input marks this change as where the failure started"
    if reading.started is not None and trigger.at == reading.started:
        return "The failure started with this change"
    return None


def _finding(tagged: Tagged) -> Finding:
    if tagged.has("cause_statement") and about_recovery(tagged):
        focus = vocab.TAG_PATTERNS["cause_statement"]
        return Finding(
            kind="recovery",
            statement="About the recovery, not the incident's cause: the data says why a step "
            f"was repeated or held up: {said(tagged.event, focus)}.",
            evidence=_evidence(tagged, focus),
        )
    if about_impact(tagged):
        focus = vocab.TAG_PATTERNS["cause_statement"]
        return Finding(
            kind="impact",
            statement="About the impact, not the incident's cause: the data says how users were affected: "
            f"{said(tagged.event, focus)}.",
            evidence=_evidence(tagged, focus),
        )
    if tagged.has("cause_statement"):
        lead, kind, focus, meant = "The data states a cause", "cause", vocab.TAG_PATTERNS["cause_statement"], CAUSE
    elif tagged.has("tentative"):
        lead, kind, focus, meant = "A suspected cause", "finding", vocab.TAG_PATTERNS["finding"], FINDING
    elif tagged.has("finding"):
        lead, kind, focus, meant = "Found", "finding", vocab.TAG_PATTERNS["finding"], FINDING
    else:
        lead, kind, focus, meant = "Observed while investigating", "finding", vocab.TAG_PATTERNS["symptom"], OBSERVED
    quoted = narrowed(tagged.event, meant)
    return Finding(kind=kind, statement=f"{lead}: {said(quoted, focus)}.", evidence=_evidence(tagged, focus, meant))


def about_recovery(tagged: Tagged) -> bool:
    """A step of the recovery (a mitigation, a retry, a step held up) rather than a finding about the failure: what
    its "due to" gives is why the step was needed, repeated or delayed ("Pipeline re-triggered due to an API
    timeout"), not why the incident happened. A system that could not act ("the load balancer was unable to scale up
    because ...") is the failure itself, not a step held up."""
    if tagged.has("finding", "observation"):
        return False
    return tagged.has("mitigation", "retry") or (tagged.has("blocked") and not tagged.has("alert", "report", "symptom"))


def about_impact(tagged: Tagged) -> bool:
    """A cause statement whose consequence says how users were affected rather than why the failure happened: "the web
    app falls back to polling, so messages arrived late rather than not at all" explains why the impact was late, not
    lost; "only partially out of date", "slow but not down" likewise."""
    return tagged.has("cause_statement") and bool(vocab.IMPACT_FORM.search(what_happened(tagged.text)))


@once_per_reading
def date_links(reading: Reading) -> tuple[tuple[Tagged, Tagged, str], ...]:
    """(change, later event, its date as written) where a finding dates the start of what it describes to the day of
    one change, and of no other: "the fd count has grown ... since 2025-06-03" and the release rolled out on
    2025-06-03. The data connects them by that date; it does not say the change caused it."""
    changes: dict[tuple[int, int], list[Tagged]] = {}
    for change in reading.events:
        if change.has("change") and not change.has(*_NOT_A_START):
            changes.setdefault((change.at.month, change.at.day), []).append(change)
    found: list[tuple[Tagged, Tagged, str]] = []
    for later in _findings_and_trends(reading):
        match = vocab.SINCE_DATE.search(later.text) if not later.has("change") else None
        if match is None:
            continue
        year, month, day = named_day(match)
        on_day = [
            c
            for c in changes.get((month, day), [])
            if (year is None or c.at.year == year) and (later.at is None or c.at < later.at)
        ]
        if len(on_day) == 1 and all(on_day[0] is not change for change, _, _ in found):
            found.append((on_day[0], later, match["date"]))
    return tuple(found)


def _findings_and_trends(reading: Reading) -> list[Tagged]:
    """The findings and the events that say something grew, dated ones in time order, then the undated."""
    found = {t.order: t for t in (*reading.findings, *reading.tagged("growth"))}
    return [found[order] for order in sorted(found)]


# A change that is a step of the response, or a report of one, does not start a trend.
_NOT_A_START = ("alert", "report", "recovery", "mitigation", "retry")


def reverting_fix(reading: Reading) -> tuple[Tagged, str] | None:
    """The first recovery step that reverts something, and what it reverts ("Fix committed to revert the gateway
    module reference" reverts "the gateway module reference"), unless the data says it failed or nobody meant it."""
    found = []
    for attempt in reading.attempts:
        step = attempt.step
        match = _REVERTED_RE.search(step.text)
        if match and attempt.outcome != "failed" and not step.has("unintended") and specific_stems(match["what"]):
            found.append((step, _with_article(match["what"].strip())))
    done = [f for f in found if not f[0].has("begun")]  # "Begin reverting the PRs" only says it was started
    return (done or found or [None])[0]


def implicated(step: Tagged, what: str) -> str:
    """What a reverting fix says: the change it undid is implicated."""
    return f"The data's fix reverted {what}, so the change it undid is implicated: {said(step.event)}."


def _with_article(what: str) -> str:
    """ "the gateway module reference" as written; a bare noun phrase ("infrastructure-modules reference") gets "the"."""
    return what if re.match(r"(?:the|a|an|our|its|their)\b", what, re.I) else f"the {what}"


_REVERTED_RE = re.compile(vocab.REVERTED, re.IGNORECASE)


def links(reading: Reading, stated: list[Tagged]) -> list[Finding]:
    """Pairs the data connects: an earlier event and a later finding that name the same component."""
    anchors = [t for t in (reading.trigger, _symptom(reading)) if t is not None]
    found: list[Finding] = []
    used: set[int] = set()  # each earlier event is linked once, to the first later finding that names its component
    for later in stated:
        for earlier in [*anchors, *stated]:
            if earlier is later or earlier.order in used:
                continue
            shared = linked(earlier, later)
            named = ", ".join(shared_words(earlier.text, shared)[:3]) if shared else ""
            if named:
                used.add(earlier.order)
                found.append(
                    Finding(
                        kind="link",
                        statement=f"The data connects two events that both name {named}: "
                        f"{said(earlier.event)}, then {said(narrowed(later.event, naming(shared)))}.",
                        evidence=_evidence(earlier) + _evidence(later, meant=naming(shared)),
                    )
                )
                break
        if len(found) >= MAX_LINKS:
            break
    return found


def limit_links(raised: RaisedLimit) -> list[Finding]:
    """The events before a step that raised a limit which name the limit and show the system at it (or state it):
    the data connects them by the limit's words and by time."""
    found = []
    for earlier in raised.at_limit:
        how = "an earlier event at it" if shows_at_limit(earlier) else "an earlier event that states it"
        found.append(
            Finding(
                kind="link",
                statement=f"The data connects the limit the fix raised with {how}, both naming "
                f"{', '.join(raised.named_in(earlier)[:3])}: {said(earlier.event)}, then {said(raised.step.event)}.",
                evidence=_evidence(earlier) + _evidence(raised.step),
            )
        )
    return found


def began_after(reading: Reading) -> Tagged | None:
    """What the failure began after, when the data places no change before it: the last event up to the start and
    before the first sign of the failure that is itself no sign of it (a campaign sent, a launch, a batch run).
    Quoted as what it began after, never as its cause: the data gives the order, not the link."""
    if reading.trigger is not None:
        return None
    signal = next((t.at for t in reading.events if t.has("symptom", "alert", "report")), None)
    before = [
        t
        for t in reading.events
        if (signal is None or t.at < signal)
        and (reading.started is None or t.at <= reading.started)
        and not t.has(*_NO_SETTING)
        and not vocab.START_MARK.search(t.text)
        and len(content_stems(t.text)) >= BEGAN_AFTER_MIN_WORDS
    ]
    return before[-1] if before else None


# What the failure cannot have begun after: a sign of it, people responding to it, or it ending.
_NO_SETTING = ("symptom", "alert", "report", "repeat", "recovery", "resolution", "declaration", "acknowledgement")
BEGAN_AFTER_MIN_WORDS = 3  # "Nightly reindex of the media library started": what ran, not "Sara joined"


def began_after_sentence(tagged: Tagged) -> str:
    """ "The failure began after: ... ; the data does not say that this caused it." """
    return f"The failure began after: {said(tagged.event)}; the data does not say that this caused it."


def shared_words(text: str, stems: frozenset[str]) -> list[str]:
    """The words of ``text`` whose stems are in ``stems``, as written, first occurrence first."""
    out: list[str] = []
    for word in words(text):
        stem = next(iter(content_stems(word)), None)
        if stem in stems and word not in out:
            out.append(word)
    return out


def cause_part(text: str, limit: int = 100) -> str:
    """What a cause statement gives as the reason: "a newly applied LimitRange" of "... down due to a newly applied
    LimitRange", or "the app retries at once" of "the app retries at once, so every 503 comes back"; cut to
    ``limit`` characters (a short name by default, a whole reason to quote with a larger one)."""
    match = vocab.CONNECTIVE.search(text)
    if match:
        return excerpt(text[match.end() :].strip(" .,:;"), limit=limit)
    split = consequence_split(text)
    if split is not None:
        return excerpt(split[0], limit=limit)
    head, sep, rest = text.partition(": ")
    if sep and rest.strip() and vocab.TAG_PATTERNS["failed"].search(head):  # "Failover did not run: the controller ..."
        return excerpt(rest.strip(" .,:;"), limit=limit)
    return ""


def consequence_split(text: str) -> tuple[str, str] | None:
    """(cause, effect) of a sentence that states its consequence: "the app retries at once, so every 503 comes
    back" gives ("the app retries at once", "every 503 comes back").

    "causing" without a comma, followed by a closing verb, opens a clause inside a noun phrase: "Owner of the
    Ingress causing the issue contacted" says the Ingress caused the issue, and the owner was contacted.
    """
    match = vocab.CONSEQUENCE.search(text)
    if match is None:
        return None
    head = re.split(r"(?<=[.!?;])\s+", text[: match.start()])[-1]
    tail = text[match.end() :]
    inner = match.group(0).lower() == "causing" and not text[: match.start()].rstrip().endswith(",")
    closing = _CLOSING_VERB_RE.search(tail) if inner else None
    if closing is not None:
        head, tail = head.rsplit(" of ", 1)[-1], tail[: closing.start()]
    return head.strip(" .,:;"), tail.strip(" .,:;")


# The main verb that closes a sentence after a clause inside its subject: "... causing the issue contacted",
# "... causing 502s was rolled back".
_CLOSING_VERB_RE = re.compile(
    r"(?<=\w)(?<!\bnot)(?<!\bnever)(?<!\bbe)(?<!\bbeen)(?<!\bbeing)(?<!\bget)(?<!\bto)"
    r"\s+(?:(?:was|were|is|are|has been|have been|got)\s+)?[a-z]+ed(?:\s+(?:back|out|up|off|down))?\s*[.!]?\s*$"
)


def fix_event(reading: Reading) -> Tagged | None:
    """The step that stopped the impact: the one the summary names (:func:`stopping_step`), else a recovery step
    that worked, else the last step taken (none that failed) up to the moment the impact ended. Never the recovery
    it led to ("errors stopped", "additional nodes are healthy") nor someone resolving the page: those say that the
    impact ended, not what ended it."""
    stopped_by = stopping_step(reading) if reading.mitigated is not None else None
    if stopped_by is not None:
        return stopped_by
    worked = [a.step for a in reading.attempts if a.outcome == "worked"]
    if worked:
        return worked[0]
    if reading.mitigated is None:
        return None
    before = [a.step for a in reading.attempts if a.outcome != "failed" and a.step.at <= reading.mitigated]
    return before[-1] if before else None


_NOT_A_FIX = ("declaration", "communication")  # "Resolved. Status page updated": an announcement, not the fix


@once_per_reading  # the summary, the root cause and the lessons each ask; each ask was a pass over every event
def stopping_step(reading: Reading) -> Tagged | None:
    """The step that stopped the impact, as the data records it: among the recovery attempts up to the moment the
    impact stopped (none that failed; only those after the last report of the failure, where any step is), the last
    change the data says worked, else the last step it says worked
    (not a mere report of recovery), else the last change made, else the last mitigation step that is not itself
    a report of the failure."""
    steps = [
        a
        for a in reading.attempts
        if a.outcome != "failed" and a.step.at <= reading.mitigated and not a.step.has(*_NOT_A_FIX)
    ]
    steps = after_the_last_failure(steps, reading.events, reading.mitigated)
    choices = (
        [a.step for a in steps if a.outcome == "worked" and a.step.has("change")],
        [a.step for a in steps if a.outcome == "worked" and not a.step.has("recovery")],
        [a.step for a in steps if a.step.has("change") and not a.step.has("symptom")],
        [a.step for a in steps if a.step.has("mitigation") and not a.step.has("symptom", "ongoing", "alert")],
    )
    return next((pool[-1] for pool in choices if pool), None)


def automatic_recovery_that_failed(reading: Reading) -> Tagged | None:
    """The first recovery the system should have made by itself that failed, refused or did not run, with the reason
    the data gives ("automatic restart refused: the supervisor stops restarting a process that crashed three times"):
    why the failure lasted until people acted, which the data states even when it does not say why the failure
    began."""
    return next(
        (
            a.step
            for a in reading.attempts
            if a.outcome == "failed" and a.step.has("automatic") and cause_part(a.step.text)
        ),
        None,
    )


def recovery_waited_on(reading: Reading) -> Tagged | None:
    """The first recovery the data explains by what it waited on: "error ratio back under 1% as resolver caches
    expire", "latency recovered once merges caught up". Why the impact lasted as long as it did, never a step."""
    recoveries = reading.tagged("recovery", dated_only=True)
    plain = [t for t in recoveries if not t.has("mitigation", "retry", "resolution")]
    return next((t for t in plain if _WAITED_ON_RE.search(t.text)), None)


_WAITED_ON_RE = re.compile(vocab.WAITED_ON, re.IGNORECASE)
_WAITED_ON = saying(_WAITED_ON_RE, RECOVERY)  # the clause that says what the recovery waited on


def _quoted(kind: str, lead: str, tagged: Tagged) -> Finding:
    focus, meant = vocab.TAG_PATTERNS[kind], stated(kind)
    statement = f"{lead}: {said(narrowed(tagged.event, meant), focus)}."
    return Finding(kind=kind, statement=statement, evidence=_evidence(tagged, focus, meant))


def _symptom(reading: Reading) -> Tagged | None:
    return next((t for t in reading.events if t.has("symptom", "alert", "report") and reading._after_start(t)), None)


def _evidence(tagged: Tagged, focus: re.Pattern[str] | None = None, meant: Meaning | None = None) -> list[Evidence]:
    """The event as evidence, its excerpt narrowed to the clauses that carry ``meant`` when given."""
    event = tagged.event if meant is None else narrowed(tagged.event, meant)
    if isinstance(event, UndatedEvent):
        return [Evidence(source=event.source, excerpt=excerpt(event.text, focus), time_text=event.time_text)]
    return [evidence(event, focus)]
