"""Merging several files about one incident into one sorted, deduplicated timeline."""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Sequence

from pm_agent.errors import InputError
from pm_agent.ingest.base import ParsedFile
from pm_agent.models import Impact, Incident, SourceRef, TimelineEvent, UndatedEvent

NEAR_DUPLICATE_WINDOW = dt.timedelta(seconds=120)
NEAR_DUPLICATE_SIMILARITY = 0.75
MAX_TWIN_CANDIDATES = 32  # kept events compared with a new one, at most (see _TwinIndex)
TITLE_CHARS = 120  # a title taken from an event's text, at most
_CLAUSE_END = re.compile(r"(?<=\w)[.;:](?=\s)")
# The text of the event that states the failure, or None: how a caller names an incident its files leave untitled.
TitleOf = Callable[[Sequence[TimelineEvent]], str | None]
SOURCE_ORDER = {"deploy": 0, "alert": 1, "metric": 2, "page": 3, "chat": 4, "note": 5}
_WORD = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
_NOISE = {"firing", "resolved", "the", "a", "an", "is", "was", "to", "of", "on", "in", "for", "alert", "triggered"}


def merge_files(
    files: Sequence[tuple[str, ParsedFile]], *, max_events: int, title_of: TitleOf | None = None
) -> Incident:
    """Build one incident from the parsed files (``(source name, parsed)`` pairs, UTC times); with no title in them,
    ``title_of`` may name the event that states the failure (the analysis knows which words do; reading does not)."""
    count = sum(len(parsed.events) + len(parsed.undated) for _, parsed in files)  # undated events are events too
    if count > max_events:  # checked on the events as read, before any work on them
        raise InputError(f"{count} events, over the limit of {max_events} (raise PM_AGENT_MAX_EVENTS)")
    events = _timeline(files)
    if not events:
        names = ", ".join(name for name, _ in files)
        raise InputError("no timeline events found; a postmortem needs at least one timestamped event", source=names)
    ordered = sorted(files, key=lambda pair: pair[1].format != "native")

    def first(attr):
        return next((getattr(p, attr) for _, p in ordered if getattr(p, attr)), None)

    times = _key_times([p for _, p in ordered])
    incident = Incident(
        id=first("id") or _derived_id(first("title"), events),
        title=first("title") or _title_from(events, title_of),
        severity=first("severity"),
        services=_union(s for _, p in ordered for s in p.services),
        events=events,
        undated_events=_undated(files),
        impact=Impact.model_validate(_merged_impact([p for _, p in ordered])),
        notes="\n\n".join(_union(p.notes.strip() for _, p in ordered if p.notes.strip())),
        sources=[name for name, _ in files],
        **times,
    )
    _check_order(incident)
    return incident


def _timeline(files: Sequence[tuple[str, ParsedFile]]) -> list[TimelineEvent]:
    events = [
        TimelineEvent(
            at=raw.at,
            source=raw.source,
            text=raw.text,
            actor=raw.actor,
            refs=[SourceRef(file=name, locator=raw.locator)],
            approximate=raw.approximate,
        )
        for name, parsed in files
        for raw in parsed.events
    ]
    events.sort(key=lambda e: (e.at, SOURCE_ORDER.get(e.source, 9)))
    return collapse_duplicates(events)


def _undated(files: Sequence[tuple[str, ParsedFile]]) -> list[UndatedEvent]:
    """Undated events of every file; the same one given twice (same source, text and time) is kept once,
    with the references of both."""
    kept: dict[tuple[str, str, str], tuple[UndatedEvent, set[SourceRef]]] = {}
    for name, parsed in files:
        for raw in parsed.undated:
            ref = SourceRef(file=name, locator=raw.locator)
            event, refs = kept.setdefault(
                (raw.source, raw.text, raw.time_text),
                (UndatedEvent(source=raw.source, text=raw.text, time_text=raw.time_text), set()),
            )
            if ref not in refs:  # a set: the same line given 50,000 times must not cost 50,000 list scans
                refs.add(ref)
                event.refs.append(ref)
    return [event for event, _ in kept.values()]


def collapse_duplicates(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """Fold exact and near duplicates (close in time, nearly the same words) into the first one seen.

    The kept event collects the references of every copy, so nothing loses its origin.
    """
    kept: list[TimelineEvent] = []
    words: list[set[str]] = []
    refs_of: list[set[SourceRef]] = []  # the kept event's references as a set: 50,000 copies, no list scans
    index = _TwinIndex()
    for event in events:
        tokens = _tokens(event.text)
        twin = index.find(event, tokens, kept, words)
        if twin is None:
            kept.append(event.model_copy(update={"refs": list(event.refs)}))
            words.append(tokens)
            refs_of.append(set(event.refs))
            index.add(kept[-1], tokens)
            continue
        target, known = kept[twin], refs_of[twin]
        for ref in event.refs:
            if ref not in known:
                known.add(ref)
                target.refs.append(ref)
        if target.actor is None and event.actor:
            target.actor = event.actor
    return kept


class _TwinIndex:
    """Which kept events share a word or the text with a new one, so that only those are compared.

    The answer is :func:`_find_twin`'s: the latest kept event in the window that is an exact twin
    or similar. Both need the same text or a shared word, so no other event can be it. Kept
    events come in time order from a sorted timeline, which makes the window a tail found by
    bisection; should they not (a caller's unsorted list), every question goes to the plain scan.

    The cost per event is bounded: only the :data:`MAX_TWIN_CANDIDATES` latest events of the
    window that share a word are compared, then (should none be similar) the latest one with the
    same text. Without the bound a burst of events sharing a word ("error") within two minutes
    compares each with all before it: 60,000 such events took six minutes. With fewer candidates
    than the bound, which is every incident a person wrote, the answer is the plain scan's.
    """

    def __init__(self) -> None:
        self.times: list[dt.datetime] = []
        self.by_word: dict[str, list[int]] = {}
        self.by_text: dict[str, list[int]] = {}
        self.by_moment: dict[tuple[str, dt.datetime], int] = {}
        self.in_order = True

    def add(self, event: TimelineEvent, tokens: set[str]) -> None:
        number = len(self.times)
        self.in_order = self.in_order and (not self.times or self.times[-1] <= event.at)
        self.times.append(event.at)
        self.by_text.setdefault(event.text, []).append(number)
        self.by_moment.setdefault((event.text, event.at), number)
        for token in tokens:
            self.by_word.setdefault(token, []).append(number)

    def find(
        self, event: TimelineEvent, tokens: set[str], kept: list[TimelineEvent], words: list[set[str]]
    ) -> int | None:
        if not self.in_order:
            return _find_twin(event, tokens, kept, words)
        first = bisect.bisect_left(self.times, event.at - NEAR_DUPLICATE_WINDOW)
        same_text = self.by_text.get(event.text, [])
        postings = [same_text, *(self.by_word.get(t, []) for t in tokens)]
        for number in _latest_distinct(postings, first, MAX_TWIN_CANDIDATES):
            other = kept[number]
            if (other.text == event.text and other.at == event.at) or _similar(tokens, words[number]):
                return number
        if tokens and same_text and same_text[-1] >= first:
            return same_text[-1]  # the same words, so similar: found past the bound
        twin = self.by_moment.get((event.text, event.at))
        return twin if twin is not None and twin >= first else None


def _latest_distinct(postings: list[list[int]], first: int, limit: int) -> list[int]:
    """The ``limit`` largest numbers at or after ``first`` in the ascending ``postings``, largest first.

    Each list gives at most ``limit`` numbers, so the work is bounded by the number of lists, not their length.
    """
    candidates: set[int] = set()
    for numbers in postings:
        candidates.update(numbers[max(bisect.bisect_left(numbers, first), len(numbers) - limit) :])
    return sorted(candidates, reverse=True)[:limit]


def _find_twin(event: TimelineEvent, tokens: set[str], kept: list[TimelineEvent], words: list[set[str]]) -> int | None:
    index = len(kept) - 1
    while index >= 0 and event.at - kept[index].at <= NEAR_DUPLICATE_WINDOW:
        other = kept[index]
        if other.text == event.text and other.at == event.at:
            return index
        if _similar(tokens, words[index]):
            return index
        index -= 1
    return None


def _tokens(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _NOISE}


def _similar(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return False
    shared = len(a & b)
    jaccard = shared / (len(a) + len(b) - shared)
    containment = shared / min(len(a), len(b))
    return jaccard >= NEAR_DUPLICATE_SIMILARITY or (containment >= 0.9 and min(len(a), len(b)) >= 4)


def _key_times(parsed: list[ParsedFile]) -> dict[str, dt.datetime]:
    """Explicit key times: the first file that states one wins (native JSON first); else earliest/latest."""
    times: dict[str, dt.datetime] = {}
    for key in ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at"):
        native = [p.times[key] for p in parsed if p.format == "native" and key in p.times]
        values = native or [p.times[key] for p in parsed if key in p.times]
        if values:
            times[key] = max(values) if key == "resolved_at" else min(values)
    return times


def _merged_impact(parsed: list[ParsedFile]) -> dict:
    merged: dict = {}
    for p in parsed:
        for key, value in p.impact.items():
            merged.setdefault(key, value)
    return merged


def _check_order(incident: Incident) -> None:
    start, end = incident.started_at, incident.resolved_at
    if start and end and end < start:
        raise InputError(
            f"resolved_at ({end.isoformat()}) is before started_at ({start.isoformat()}); fix one of the two times"
        )


def _union(items) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


def _derived_id(title: str | None, events: list[TimelineEvent]) -> str:
    digest = hashlib.sha256(f"{title}|{events[0].at.isoformat()}|{events[0].text}".encode()).hexdigest()[:8]
    return f"inc-{events[0].at:%Y%m%d}-{digest}"


def _title_from(events: list[TimelineEvent], title_of: TitleOf | None) -> str:
    """The incident named by its events when no file names it: by ``title_of`` (the caller's reading of which event
    states the failure), else by the first alert or page, else by the first event that is not a deploy notice."""
    named = title_of(events) if title_of else None
    first = next((e for e in events if e.source in ("alert", "page")), None) or next(
        (e for e in events if e.source != "deploy"), events[0]
    )
    return _shortened(named or first.text)


def _shortened(text: str) -> str:
    """A title of at most TITLE_CHARS: a long text's first clause when it is short enough ("Canary analysis FAILED for
    pricing-service v3.9.0" of "...: price_mismatch_ratio 0.8%; rollout halted ..."), else its words up to the limit."""
    if len(text) <= TITLE_CHARS:
        return text
    clause = _CLAUSE_END.split(text, maxsplit=1)[0]
    if len(clause) <= TITLE_CHARS:
        return clause
    cut = text[:TITLE_CHARS]
    return cut[: cut.rfind(" ")].rstrip(" ,;:") if " " in cut else cut
