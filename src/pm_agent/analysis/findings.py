"""What the data says about the cause: findings and cause statements quoted, links only where the data makes them.

Offline, the engine cannot know what the team concluded in the review. It can say what the
incident data states (a finding, an explicit "due to", an observation made while investigating, a
missing safeguard someone wrote down, the change the input marks as the start) and connect two
such events only where the data connects them: the earlier one comes first *and* both name the
same component. Everything else is a question for the review.
"""

from __future__ import annotations

import re

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.evidence import Reading, Tagged, linked, specific_stems
from pm_agent.analysis.limits import RaisedLimit, implicated_limit, raised_limit, shows_at_limit
from pm_agent.analysis.quoting import evidence, excerpt, said
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
    if fix is not None and fix not in stated:
        out.append(
            Finding(
                kind="fix",
                statement=f"The step that ended the impact shows what was broken: {said(fix.event)}.",
                evidence=_evidence(fix),
            )
        )
    revert = reverting_fix(reading)
    if revert is not None:
        out.append(Finding(kind="revert", statement=implicated(*revert), evidence=_evidence(revert[0])))
    raised = raised_limit(reading)
    if raised is not None:
        out.append(Finding(kind="limit", statement=implicated_limit(raised), evidence=_evidence(raised.step)))
    out += [
        _quoted("negative", "The data records what was assumed or ruled out at the time", t) for t in reading.negatives
    ]
    out += [_quoted("gap", "The data records a missing safeguard", t) for t in reading.tagged("gap") if t not in stated]
    out += links(reading, stated)
    if raised is not None:
        out += limit_links(raised)
    return out


def trigger_finding(reading: Reading) -> Finding:
    """Where the data places the change that set the failure off: marked by the input, at the start, or just before it."""
    trigger = reading.trigger
    if vocab.CULPRIT_MARK.search(trigger.text):
        placed = "The input marks this change as where the failure started"
    elif reading.started is not None and trigger.at == reading.started:
        placed = "The failure started with this change"
    else:
        placed = "The last change before the failure began"
    return Finding(kind="trigger", statement=f"{placed}: {said(trigger.event)}.", evidence=_evidence(trigger))


def _finding(tagged: Tagged) -> Finding:
    if tagged.has("cause_statement") and about_recovery(tagged):
        focus = vocab.TAG_PATTERNS["cause_statement"]
        return Finding(
            kind="recovery",
            statement="About the recovery, not the incident's cause: the data says why a step "
            f"was repeated or held up: {said(tagged.event, focus)}.",
            evidence=_evidence(tagged, focus),
        )
    if tagged.has("cause_statement"):
        lead, kind, focus = "The data states a cause", "cause", vocab.TAG_PATTERNS["cause_statement"]
    elif tagged.has("tentative"):
        lead, kind, focus = "A suspected cause", "finding", vocab.TAG_PATTERNS["finding"]
    elif tagged.has("finding"):
        lead, kind, focus = "Found", "finding", vocab.TAG_PATTERNS["finding"]
    else:
        lead, kind, focus = "Observed while investigating", "finding", vocab.TAG_PATTERNS["symptom"]
    return Finding(kind=kind, statement=f"{lead}: {said(tagged.event, focus)}.", evidence=_evidence(tagged, focus))


def about_recovery(tagged: Tagged) -> bool:
    """A step of the recovery (a mitigation, a retry, a step held up) rather than a finding about the failure: what
    its "due to" gives is why the step was needed, repeated or delayed ("Pipeline re-triggered due to an API
    timeout"), not why the incident happened. A system that could not act ("the load balancer was unable to scale up
    because ...") is the failure itself, not a step held up."""
    if tagged.has("finding", "observation"):
        return False
    return tagged.has("mitigation", "retry") or (tagged.has("blocked") and not tagged.has("alert", "report", "symptom"))


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
                        statement=f"The data connects two events that both name {named}: {said(earlier.event)}, then {said(later.event)}.",
                        evidence=_evidence(earlier) + _evidence(later),
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


def cause_part(text: str) -> str:
    """What a cause statement gives as the reason: "a newly applied LimitRange" of "... down due to a newly applied
    LimitRange", or "the app retries at once" of "the app retries at once, so every 503 comes back"."""
    match = vocab.CONNECTIVE.search(text)
    if match:
        return excerpt(text[match.end() :].strip(" .,:;"), limit=100)
    split = consequence_split(text)
    if split is not None:
        return excerpt(split[0], limit=100)
    head, sep, rest = text.partition(": ")
    if sep and rest.strip() and vocab.TAG_PATTERNS["failed"].search(head):  # "Failover did not run: the controller ..."
        return excerpt(rest.strip(" .,:;"), limit=100)
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
    """The step that stopped the impact: a recovery step that worked, or the event at the moment the impact ended."""
    worked = [a.step for a in reading.attempts if a.outcome == "worked"]
    if worked:
        return worked[0]
    if reading.mitigated is None:
        return None
    at_end = [t for t in reading.events if t.at == reading.mitigated and t.has("mitigation", "recovery")]
    before = [a.step for a in reading.attempts if a.step.at <= reading.mitigated]
    return at_end[0] if at_end else (before[-1] if before else None)


def _quoted(kind: str, lead: str, tagged: Tagged) -> Finding:
    focus = vocab.TAG_PATTERNS[kind]
    return Finding(kind=kind, statement=f"{lead}: {said(tagged.event, focus)}.", evidence=_evidence(tagged, focus))


def _symptom(reading: Reading) -> Tagged | None:
    return next((t for t in reading.events if t.has("symptom", "alert", "report") and reading._after_start(t)), None)


def _evidence(tagged: Tagged, focus: re.Pattern[str] | None = None) -> list[Evidence]:
    event = tagged.event
    if isinstance(event, UndatedEvent):
        return [Evidence(source=event.source, excerpt=excerpt(event.text, focus), time_text=event.time_text)]
    return [evidence(event, focus)]
