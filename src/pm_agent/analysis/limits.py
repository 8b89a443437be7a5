"""A fix that raises a limit implicates the limit: it was too low for the load at the time.

The commonest capacity fix raises, increases, bumps, doubles or scales up a named limit: an autoscaling
maximum, a pool size, a quota, a rate limit, a timeout, a ulimit, a replica count, a memory limit. That the
impact stopped once it was raised says the limit was too low for the load at the time; it does not say why the
load was what it was, nor why the limit was where it was, so the draft quotes the step as what the data shows and
asks the rest. Events before the step that show the system at that limit ("at 12 workers, all busy", "50 of 50
connections in use") and name it are connected to it; an event that says the load went up is quoted as the load.

Nothing is implicated where the data says the limit was never reached, where the step did not work or was only
planned, or where the response itself set the limit earlier (a rate limit put in to shed load, then loosened).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import islice

from pm_agent.analysis import vocabulary as vocab
from pm_agent.analysis.evidence import Reading, once_per_reading
from pm_agent.analysis.quoting import said
from pm_agent.analysis.tagging import Tagged
from pm_agent.analysis.terms import content_stems, weight, words

MAX_AT_LIMIT = 2
MAX_CANDIDATES = 50  # the raises of a timeline looked at, at most
RAISED_RE = re.compile(vocab.RAISED_LIMIT, re.IGNORECASE)
RAISE_STEMS = ("rais", "increas", "bump", "doubl", "tripl", "grew", "expand", "extend", "scal")
AT_LIMIT_RE = re.compile(vocab.AT_LIMIT, re.IGNORECASE)
LIMIT_STATED_RE = re.compile(vocab.LIMIT_STATED, re.IGNORECASE)
NOT_REACHED_RE = re.compile(vocab.LIMIT_NOT_REACHED, re.IGNORECASE)
LOAD_ROSE_RE = re.compile(vocab.LOAD_ROSE, re.IGNORECASE)
# The response put the limit in place itself: "rate limit on edge-proxy set to 500 req/s".
SET_RE = re.compile(r"\b(?:set|added|introduced|applied|enabled|put in place|turned on)\b", re.IGNORECASE)
COMPONENT_RE = re.compile(r"\b[a-z][a-z0-9]*(?:-[a-z0-9]+)+\b", re.IGNORECASE)
UNIT_RE = re.compile(r"[A-Za-z][\w/]*$")
# What a raising step is not: a plan, a report, a guess, a step that failed or only began.
NOT_A_RAISE = ("failed", "unintended", "begun", "alert", "report", "negative", "followup", "tentative")


@dataclass(frozen=True)
class RaisedLimit:
    """A step that raised a limit, and what the data says around it."""

    step: Tagged
    limit: str  # "the autoscaling max", "the index-writer pool size"
    unit: str  # "workers" of "to 40 workers"; "" when the step gives no unit
    component: str  # the service or component the limit belongs to, as the data names it; "" when none
    at_limit: tuple[Tagged, ...]  # earlier events that name the limit and show the system at it
    load: Tagged | None  # an event before the step that says the load went up

    @cached_property
    def stems(self) -> frozenset[str]:
        """The specific words of the limit and its unit, for finding the events that name it."""
        return _specific(f"{self.limit} {self.unit}")

    def named_in(self, tagged: Tagged) -> list[str]:
        """The words of ``tagged`` that name the limit or its unit, as written, first occurrence first."""
        return _naming(tagged.text, self.stems, self.unit)


@once_per_reading
def raised_limit(reading: Reading) -> RaisedLimit | None:
    """The first step of the response that raised a named limit, unless the data says that limit was never reached
    or the response itself set it (among the first ``MAX_CANDIDATES`` raises: a long timeline may hold thousands)."""
    since = reading.detected or reading.started
    raises = (
        (step, match)
        for step in reading.events
        if (match := _raise_in(step.event.text)) is not None
        and (since is None or step.at >= since)
        and not step.has(*NOT_A_RAISE)
        and "?" not in step.text
    )
    not_reached: frozenset[str] | None = None
    settings: list[tuple[int, frozenset[str]]] = []
    for step, match in islice(raises, MAX_CANDIDATES):
        if not_reached is None:  # read once, and only for a timeline with a raise in it
            not_reached, settings = _not_reached_words(reading), _settings_by_the_response(reading, since)
        limit, unit = _limit_phrase(match), _unit(match)
        stems = _specific(limit)
        if not stems or stems & not_reached or _set_before(settings, step, stems):
            continue
        at_limit = tuple(_at_limit(reading, step, _specific(f"{limit} {unit}"), unit))
        return RaisedLimit(
            step=step,
            limit=limit,
            unit=unit,
            component=_component(reading, limit, [step, *at_limit]),
            at_limit=at_limit,
            load=_load(reading, step),
        )
    return None


@lru_cache(maxsize=1 << 14)
def _raise_in(text: str) -> re.Match[str] | None:
    """The raise in ``text``; the cheap test of its verb first, as a long timeline has thousands of texts."""
    lowered = text.lower()
    return RAISED_RE.search(text) if any(stem in lowered for stem in RAISE_STEMS) else None


def implicated_limit(raised: RaisedLimit) -> str:
    """What a step that raised a limit says: the limit was too low for the load at the time."""
    return (
        f"The data's fix raised {raised.limit}, so that limit is implicated as too low for the load at the time: "
        f"{said(raised.step.event)}."
    )


def shows_at_limit(tagged: Tagged) -> bool:
    """The event shows the system at a limit ("all busy", "50 of 50 in use"), not only what the limit is."""
    return bool(AT_LIMIT_RE.search(tagged.text))


def _limit_phrase(match: re.Match[str]) -> str:
    """ "the autoscaling max", "the timeout for the payments client", "the capacity of the checkout pods"."""
    if match["scaled"]:
        scaled = match["scaled"].strip()
        return f"the capacity of {'' if COMPONENT_RE.fullmatch(scaled) else 'the '}{scaled}"
    what = (match["what"] or match["passive"]).strip()
    first = what.split(" ", 1)[0]
    if first.istitle() and first.isalpha():
        what = first.lower() + what[len(first) :]
    return f"the {what}{(match['of'] or match['passive_of'] or '').rstrip()}"


def _unit(match: re.Match[str]) -> str:
    """The unit of the new value ("workers" of "40 workers"), when it is a word."""
    value = (match["new"] or match["scaled_new"] or match["passive_new"] or "").strip()
    unit = UNIT_RE.search(value)
    return unit.group(0) if unit and len(unit.group(0)) > 2 and "/" not in unit.group(0) else ""


def _specific(text: str) -> frozenset[str]:
    return frozenset(s for s in content_stems(text) if weight(s) == 1.0)


def _settings_by_the_response(reading: Reading, since: dt.datetime | None) -> list[tuple[int, frozenset[str]]]:
    """The steps of the response that set a limit ("rate limit on edge-proxy set to 500 req/s"), as (order, words)."""
    return [
        (t.order, _specific(t.text))
        for t in reading.events
        if (since is None or t.at >= since) and t.has("mitigation", "lasting_fix", "change") and SET_RE.search(t.text)
    ]


def _set_before(settings: list[tuple[int, frozenset[str]]], step: Tagged, stems: frozenset[str]) -> bool:
    """An earlier step of the response set this limit: raising it again loosens a mitigation; it says nothing of the
    limit the system had."""
    return any(order < step.order and len(words & stems) >= min(2, len(stems)) for order, words in settings)


def _not_reached_words(reading: Reading) -> frozenset[str]:
    """The words of every event that says a limit was never reached ("the pool never reached its limit"): a raised
    limit that shares one was not the problem."""
    said_not = [_specific(t.text) for t in (*reading.events, *reading.undated) if NOT_REACHED_RE.search(t.text)]
    return frozenset().union(*said_not)


def _at_limit(reading: Reading, step: Tagged, stems: frozenset[str], unit: str) -> list[Tagged]:
    """Events before the step that name the limit (its words or its unit) and show the system at it or state it."""
    found = []
    for tagged in reading.events[: step.order]:
        if tagged.has("recovery", "worked") or not _naming(tagged.text, stems, unit):
            continue
        if AT_LIMIT_RE.search(tagged.text) or LIMIT_STATED_RE.search(tagged.text):
            found.append(tagged)
    return found[:MAX_AT_LIMIT]


def _naming(text: str, stems: frozenset[str], unit: str) -> list[str]:
    """The words of ``text`` that name a limit (its specific stems, or its unit), as written, first occurrence first."""
    out: list[str] = []
    for word in words(text):
        if (_specific(word) & stems or (unit and word.lower() == unit.lower())) and word not in out:
            out.append(word)
    return out


def _load(reading: Reading, step: Tagged) -> Tagged | None:
    """The first event up to the step that says the load went up ("order volume is up")."""
    return next(
        (t for t in reading.events[: step.order] if LOAD_ROSE_RE.search(t.text) and not t.has("recovery")), None
    )


def _component(reading: Reading, limit: str, events: list[Tagged]) -> str:
    """What the limit belongs to: a service of the incident the limit or its events name, else a component the limit
    names (its hyphenated name), else the incident's one service."""
    services = [s.strip() for s in reading.incident.services if s.strip()]
    for text in (limit, *(t.text for t in events)):
        named = next((s for s in services if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text, re.I)), None)
        if named is not None:
            return named
    in_limit = COMPONENT_RE.search(limit)
    if in_limit is not None:
        return in_limit.group(0)
    return services[0] if len(services) == 1 else ""
