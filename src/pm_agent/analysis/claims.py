"""The causal claims a postmortem makes, and whether each rests on the incident data.

A draft may say why something happened in several places: the Five Whys steps and the systemic
cause each branch ends at, the contributing factors, what went wrong, the lessons, what each action addresses, and
the summary, and the findings the draft quotes. Each such statement must either **cite** the data (a timeline event quoted with its
time, structured evidence that names a real event, or a fact the user stated) or be **marked** as
open (a question, or a hypothesis labelled as one). Anything else is a cause stated as fact with
nothing behind it: an *unsupported claim*.

The citation form is the one the offline engine writes and the model prompts ask for:
``at 2021-07-02 07:32 UTC: "the quoted words"`` (or ``(UTC+01:00)`` in the offset the input used),
and ``(undated, "14:??"): "the quoted words"`` for an event whose time the input does not give. A
citation counts only when an input event at that minute contains the quoted words.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pm_agent.analysis.quoting import STAND_IN
from pm_agent.analysis.terms import content_stems
from pm_agent.models import Evidence, Finding, Incident, Postmortem, WhyChain

ClaimSection = Literal[
    "finding", "why step", "root cause", "factor", "went wrong", "lesson", "action addresses", "summary"
]

CITATION_RE = re.compile(
    r"\bat (?P<stamp>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?)\s*(?P<zone>UTC|\(UTC[+-]\d{2}:\d{2}\))?\s*:\s*"
    r"[\"“](?P<quote>[^\"”]{3,})[\"”]"
)
UNDATED_RE = re.compile(
    r"(?:\(undated[^)]*\)|\bin the incident notes)\s*:\s*[\"“](?P<quote>[^\"”]{3,})[\"”]", re.IGNORECASE
)
# A statement in the draft's words, followed by where they come from: "... (chat, 2021-07-02 07:39 UTC)".
REF_RE = re.compile(
    r"\((?P<source>alert|chat|deploy|page|note|metric), (?:(?P<stamp>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2})?)"
    r"\s*(?P<zone>UTC|\(UTC[+-]\d{2}:\d{2}\))?|undated(?: \"[^\"]*\")?|the incident notes)\)"
)
RESTATED_SHARE = 0.6  # of a restating sentence's specific words, at least this share must be the event's own
MARK_RE = re.compile(
    r"^\W*(?:hypothesis|to confirm|unconfirmed|question|open question|not (?:yet )?established|unknown)\b"
    r"|\((?:hypothesis|to confirm)[^)]*\)"
    r"|\b(?:the (?:data|input|timeline|record)s?) (?:does not|do not|doesn't|don't) (?:state|say|show|establish)",
    re.IGNORECASE,
)
CAUSAL_RE = re.compile(
    r"\b(?:because|caused|causing|due to|root cause|led to|leading to|result(?:ed|ing)? in|as a result|"
    r"triggered by|set off|made (?:it|the)|so that|which meant)\b",
    re.IGNORECASE,
)
# The draft's own linking words around a restated event: they need not be the event's.
LINK_STEMS = frozenset(
    content_stems(
        "because due caused cause data states suggests found observed connects event events then step ended impact shows "
        "broken started change last before began failure input marks team member"
    )
)
ELLIPSIS_RE = re.compile(r"…|\.\.\.")


@dataclass(frozen=True)
class Claim:
    """One causal statement of a postmortem, where it stands, and what it rests on."""

    section: ClaimSection
    text: str
    cited: bool
    marked: bool

    @property
    def supported(self) -> bool:
        """Cited, or openly offered as a question or hypothesis."""
        return self.cited or self.marked


def causal_claims(postmortem: Postmortem, incident: Incident) -> list[Claim]:
    """Every causal statement of ``postmortem``, each checked against ``incident``'s events."""
    index = EventIndex(incident)
    claims = [_finding_claim(f, index) for f in postmortem.findings]
    claims += _chain_claims(postmortem.root_cause, index)
    claims += [_text_claim("factor", text, index) for text in postmortem.contributing_factors]
    claims += [_text_claim("went wrong", text, index) for text in postmortem.what_went_wrong]
    claims += [_text_claim("lesson", text, index) for text in postmortem.lessons]
    claims += [_text_claim("action addresses", a.addresses, index) for a in postmortem.action_items if a.addresses]
    claims += [_text_claim("summary", s, index) for s in sentences(postmortem.summary) if CAUSAL_RE.search(s)]
    return claims


def unsupported_claims(postmortem: Postmortem, incident: Incident) -> list[Claim]:
    """The causal statements that neither cite the data nor say they are open."""
    return [claim for claim in causal_claims(postmortem, incident) if not claim.supported]


def analysis_lines(postmortem: Postmortem) -> list[str]:
    """The lines of analysis a reader would compare across drafts: causes, factors, what went wrong, lessons,
    actions."""
    lines: list[str] = []
    if postmortem.root_cause:
        for branch in postmortem.root_cause.branches:
            lines += [step.question or step.because for step in branch.steps]
            lines += [branch.root_cause or branch.root_cause_question]
    lines += postmortem.contributing_factors + postmortem.what_went_wrong + postmortem.lessons
    for action in postmortem.action_items:
        lines += [action.title] + ([action.done_when] if action.done_when else [])
    return [line for line in lines if line.strip()]


def is_marked(text: str) -> bool:
    """A question, a labelled hypothesis, or a plain statement that the data does not settle it."""
    stripped = text.strip()
    return stripped.endswith("?") or bool(MARK_RE.search(stripped))


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences (a quoted passage is not cut)."""
    out, start, quoted = [], 0, False
    for i, ch in enumerate(text):
        if ch in '"“”':
            quoted = not quoted if ch == '"' else ch == "“"
        elif ch in ".!?" and not quoted and (i + 1 == len(text) or text[i + 1].isspace()):
            out.append(text[start : i + 1].strip())
            start = i + 1
    tail = text[start:].strip()
    return [s for s in [*out, tail] if s]


def after_lead_in(segment: str) -> str:
    """What ``segment`` (the text before a ``(source, time)`` reference) restates, after the draft's own lead-in: from
    the last ": " or ", " on, or the whole segment when it has neither."""
    cut = max(segment.rfind(": "), segment.rfind(", "))
    return segment[cut + 2 :] if cut >= 0 else segment


class EventIndex:
    """The incident's events by minute, to check that a citation quotes a real event."""

    def __init__(self, incident: Incident) -> None:
        self._by_minute: dict[dt.datetime, list[str]] = {}
        for event in incident.events:
            self._by_minute.setdefault(_minute(event.at), []).append(_normal(event.text))
        self._undated = [_normal(u.text) for u in incident.undated_events] + [_normal(incident.notes)]

    def cites(self, text: str) -> bool:
        """True when ``text`` quotes at least one input event correctly (time and words), or restates one in its own
        sentence followed by the event's source and time."""
        for match in CITATION_RE.finditer(text):
            moment = _parse_stamp(match.group("stamp"), match.group("zone"))
            if moment is not None and self._quoted_at(moment, match.group("quote")):
                return True
        if any(_quotes(m.group("quote"), self._undated) for m in UNDATED_RE.finditer(text)):
            return True
        return any(self._restated(text, m) for m in REF_RE.finditer(text))

    def _restated(self, text: str, match: re.Match[str]) -> bool:
        """The words restated before a ``(source, time)`` reference are mostly the event's own.

        The restatement is what follows the draft's own lead-in (the last ": " or ", " since the
        previous reference): "Recovery relied on a manual step: State lock forcefully cleared (note, ...)".
        """
        start = max((m.end() for m in REF_RE.finditer(text, 0, match.start())), default=0)
        segment = CITATION_RE.sub(" ", text[start : match.start()])
        said = specific_words(after_lead_in(segment)) or specific_words(segment)
        if not said:
            return False
        if match.group("stamp"):
            moment = _parse_stamp(match.group("stamp"), match.group("zone"))
            texts = self._by_minute.get(_minute(moment), ()) if moment else ()
        else:
            texts = self._undated
        return any(len(said & specific_words(t)) >= RESTATED_SHARE * len(said) for t in texts)

    def has(self, evidence: Evidence) -> bool:
        """True when structured evidence names a real event (its minute, and words from its text)."""
        if evidence.at is None:
            return _quotes(evidence.excerpt, self._undated)
        return self._quoted_at(evidence.at, evidence.excerpt)

    def _quoted_at(self, moment: dt.datetime, quote: str) -> bool:
        return _quotes(quote, self._by_minute.get(_minute(moment), ()))


def _chain_claims(chain: WhyChain | None, index: EventIndex) -> list[Claim]:
    if chain is None:
        return []
    claims = []
    for branch in chain.branches:
        for step in branch.steps:
            if not step.because.strip():
                continue
            cited = bool(step.facts) or any(index.has(e) for e in step.evidence) or index.cites(step.because)
            marked = is_marked(step.because) or (step.hypothesis and not cited)
            claims.append(Claim("why step", step.because, cited, marked))
        if branch.root_cause.strip():
            claims.append(_text_claim("root cause", branch.root_cause, index))
    return claims


def _finding_claim(finding: Finding, index: EventIndex) -> Claim:
    cited = any(index.has(e) for e in finding.evidence) or index.cites(finding.statement)
    return Claim("finding", finding.statement, cited=cited, marked=is_marked(finding.statement))


def _text_claim(section: ClaimSection, text: str, index: EventIndex) -> Claim:
    return Claim(section, text, cited=index.cites(text), marked=is_marked(text))


def _quotes(quote: str, texts: Iterable[str]) -> bool:
    """The quote's words, cut where a name was replaced or the quote shortened, all occur in one text."""
    pieces = [p.strip(" ,;:.") for p in re.split(rf"{STAND_IN}|…|\.\.\.", _normal(quote)) if len(p.strip(" ,;:.")) >= 3]
    return bool(pieces) and any(all(piece in text for piece in pieces) for text in texts)


def specific_words(text: str) -> set[str]:
    """The content stems a restatement must share with its event (the draft's linking words do not count)."""
    return {s for s in content_stems(text) if s not in LINK_STEMS}


def _normal(text: str) -> str:
    """Lowercase, one space, every kind of quote mark as ``'`` (a quote inside a citation is written with ``'``)."""
    return " ".join(re.sub(r"[\"“”‘’`]", "'", text.lower()).split())


def _minute(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(second=0, microsecond=0)


def _parse_stamp(stamp: str, zone: str | None) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(stamp.replace(" ", "T"))
    except ValueError:
        return None
    offset = dt.timedelta(0)
    if zone and zone.startswith("(UTC"):
        sign = 1 if zone[4] == "+" else -1
        hours, minutes = int(zone[5:7]), int(zone[8:10])
        offset = sign * dt.timedelta(hours=hours, minutes=minutes)
    return moment.replace(tzinfo=dt.timezone(offset))
