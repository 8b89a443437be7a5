"""Impact figures read from the incident's own words; a missing dimension becomes a question.

Each figure keeps the phrase it was read from, so a reviewer can see that no number was
made up. Figures stated explicitly in the input's ``impact`` object win over extracted ones.
"""

from __future__ import annotations

import re

from pm_agent.analysis.vocabulary import SERVER_ERROR_NUMBER
from pm_agent.models import Figure, Impact, Incident, OpenQuestion, SourceRef
from pm_agent.textscan.words import WordIndex, fold


def _num(tag: str = "") -> str:
    """A number with an optional scale word; ``tag`` keeps group names unique across alternatives."""
    return (
        rf"(?P<num{tag}>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*"
        rf"(?P<scale{tag}>k|K|M|million|thousand|bn|billion)?"
    )


_NUM = _num()
_FAIL = rf"(?:failed|failing|dropped|errored|lost|rejected|timed out|{SERVER_ERROR_NUMBER}|errors?)"
# Word lists shared by the patterns and by NEEDS below.
_SHARE_OF = r"users|customers|accounts|tenants|merchants|sessions|members"
_AFFECTED = r"users|customers|accounts|tenants|merchants|members|subscribers|shoppers"
_FAILED_THINGS = (
    r"requests|transactions|orders|payments|calls|checkouts|messages|jobs|emails|attempts|uploads|logins|builds"
)
_CURRENCY_SIGNS = r"[$€£]"
_CURRENCY_WORDS = r"USD|EUR|GBP|DKK|dollars|euros"
_TICKETS = r"tickets|support requests|complaints|contacts"
_SLA = r"SLA|SLO|error budget"
_LASTED = r"for|lasted|lasting|outage of|downtime of"

PATTERNS: list[tuple[str, str, re.Pattern[str]]] = [
    (
        "user_share",
        "%",
        re.compile(
            rf"{_NUM}\s*%\s+(?:of\s+)?(?:all\s+|our\s+)?(?:active\s+|logged-in\s+|paying\s+|mobile\s+)?(?:{_SHARE_OF})",
            re.I,
        ),
    ),
    (
        "users_affected",
        "users",
        re.compile(rf"(?<![\d.]){_NUM}\s+(?:active\s+|unique\s+|paying\s+)?(?:{_AFFECTED})\b", re.I),
    ),
    (
        "error_rate",
        "%",
        re.compile(
            rf"(?:error[- ]rate|5xx(?: rate)?|failure rate|errors?)\D{{0,25}}?{_num('a')}\s*%|{_num('b')}\s*%\s+(?:of\s+)?"
            rf"(?:requests|traffic|calls|transactions)\s+{_FAIL}|{_num('c')}\s*%\s+(?:error|failure)s?",
            re.I,
        ),
    ),
    (
        "requests_failed",
        "requests",
        re.compile(
            rf"(?<![\d.]){_NUM}\s+(?:{_FAIL}\s+)?(?:[a-z-]+\s+)?(?:{_FAILED_THINGS})\s+(?:{_FAIL}|were {_FAIL}|could not)",
            re.I,
        ),
    ),
    (
        "revenue",
        "currency",
        re.compile(rf"(?:{_CURRENCY_SIGNS}\s?{_num('a')}|(?<![\d.]){_num('b')}\s*(?:{_CURRENCY_WORDS}))", re.I),
    ),
    ("support_tickets", "tickets", re.compile(rf"(?<![\d.]){_NUM}\s+(?:customer\s+|support\s+)?(?:{_TICKETS})", re.I)),
    (
        "sla_breach",
        "",
        re.compile(
            rf"\b(?:{_SLA})\b[^.\n]{{0,60}}?\b(?:breach\w*|violat\w*|burn\w*|miss\w*|exceed\w*|exhaust\w*)"
            rf"|\b(?:breach\w*|violat\w*|miss\w*|exhaust\w*)\b[^.\n]{{0,40}}?\b(?:{_SLA})\b",
            re.I,
        ),
    ),
    (
        "duration",
        "minutes",
        re.compile(
            rf"(?:{_LASTED})\s+(?:about\s+|roughly\s+|approximately\s+)?{_NUM}\s*"
            r"(?P<unit>minutes?|mins?|hours?|hrs?|h)\b",
            re.I,
        ),
    ),
]
# What each pattern cannot match without, found anywhere in the (folded) text: a text lacking it is
# skipped without running the pattern, which on most event texts matches nothing. One scan finds them all.
NEEDS: WordIndex[str] = WordIndex(
    {
        "user_share": _SHARE_OF.split("|"),
        "users_affected": _AFFECTED.split("|"),
        "error_rate": ["%"],
        "requests_failed": _FAILED_THINGS.split("|"),
        "revenue": [*_CURRENCY_SIGNS.strip("[]"), *_CURRENCY_WORDS.lower().split("|")],
        "support_tickets": _TICKETS.split("|"),
        "sla_breach": _SLA.lower().split("|"),
        "duration": _LASTED.split("|"),
    }
)

QUESTIONS = {
    "users_affected": "How many users or customers were affected (a count from logs, analytics or support)?",
    "user_share": "What share of all users or traffic was affected?",
    "duration": "How long did users see impact (from first to last failing request)?",
    "requests_failed": "How many requests, orders or jobs failed or were lost?",
    "error_rate": "What was the peak error rate (for example 5xx share) during the incident?",
    "revenue": "Was there revenue or contractual cost, and how much?",
    "sla_breach": "Was any SLA or SLO breached, and how much error budget was spent?",
    "support_tickets": "How many support tickets or customer contacts did the incident cause?",
}


def extract_impact(incident: Incident) -> Impact:
    """Figures for each dimension: the input's own ``impact`` first, then phrases in notes and events."""
    found: dict[str, Figure] = {f.kind: f for f in incident.impact.figures()}
    for text, ref in _texts(incident):
        needed = NEEDS.keys_in(fold(text))
        for kind, unit, pattern in PATTERNS:
            if kind in found or kind not in needed:
                continue
            match = next((m for m in pattern.finditer(text) if not _alert_condition(kind, text, m)), None)
            if match:
                found[kind] = _figure(kind, unit, match, ref)
    return Impact.model_validate({kind: figure.model_dump() for kind, figure in found.items()})


# "p99 above 2s for 10 minutes", "error rate > 5% for 5m": a threshold right before "for", so the span is how long the
# alert waits before it fires, not how long the impact lasted.
_THRESHOLD_BEFORE_RE = re.compile(
    r"(?:above|below|over|under|exceeds?|exceeding|greater than|less than|more than|[<>]=?)\s*[\d.,]+\s*"
    r"(?:%|percent|ms|s|sec|seconds?|m|minutes?|x|k|rps|qps|req/s)?\s*$",
    re.I,
)


def _alert_condition(kind: str, text: str, match: re.Match[str]) -> bool:
    """A duration that is an alert's condition window ("above 5% for 5 minutes"), not a stated impact."""
    return kind == "duration" and bool(_THRESHOLD_BEFORE_RE.search(text[max(0, match.start() - 60) : match.start()]))


def impact_questions(impact: Impact) -> list[OpenQuestion]:
    """One question per impact dimension the data leaves unknown."""
    return [
        OpenQuestion(topic=f"impact: {kind.replace('_', ' ')}", question=QUESTIONS[kind]) for kind in impact.missing()
    ]


def _texts(incident: Incident):
    if incident.notes:
        yield incident.notes, SourceRef(file=incident.sources[0] if incident.sources else "input", locator="notes")
    for event in incident.events:
        yield event.text, event.refs[0] if event.refs else None


def _figure(kind: str, unit: str, match: re.Match[str], ref: SourceRef | None) -> Figure:
    quote = _widen(match)
    tag = next((g[3:] for g in match.re.groupindex if g.startswith("num") and match.group(g)), None)
    value = _value(match.group(f"num{tag}"), match.group(f"scale{tag}")) if tag is not None else None
    if kind == "duration" and match.groupdict().get("unit", "").lower().startswith("h") and value is not None:
        unit = "hours"
    return Figure(kind=kind, value=value, unit=unit, quote=quote, ref=ref)


def _value(number: str, scale: str | None) -> float:
    value = float(number.replace(",", ""))
    scale = (scale or "").lower()
    return value * {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "bn": 1e9, "billion": 1e9}.get(scale, 1)


def _widen(match: re.Match[str], limit: int = 140) -> str:
    """The clause around a match, verbatim, so the figure reads in context."""
    text = match.string
    start = max(
        text.rfind(".", 0, match.start()), text.rfind("\n", 0, match.start()), text.rfind(";", 0, match.start())
    )
    ends = [
        i for i in (text.find(". ", match.end()), text.find("\n", match.end()), text.find(";", match.end())) if i != -1
    ]
    end = min(ends) if ends else len(text)
    clause = text[start + 1 : end].strip().rstrip(".")
    return clause if len(clause) <= limit else match.group(0).strip()
