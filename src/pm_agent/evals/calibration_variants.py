"""Degraded copies of a postmortem, for the rubric's metamorphic calibration.

Each function takes a postmortem in Markdown and returns a copy that a careful reader would
rate lower: its actions removed or replaced by actions about another system, its root cause
replaced by another incident's, its timeline removed, its impact figures dropped, or blame
written into it. The rubric must score every document above each of its degraded copies.

The surgery works on ATX sections (``#`` headings, outside code fences), mapped to canonical
fields as :func:`pm_agent.markdown.blocks.canonical_field` maps them, a subsection inheriting its
parent's field. A degradation that finds nothing to change returns the text unchanged, and the
caller counts that pair as not applicable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from pm_agent.markdown.blocks import ATX_RE, FENCE_RE, canonical_field
from pm_agent.markdown.document import parse_markdown

CAUSE_FIELDS = ("root_cause", "trigger", "contributing_factors")
_ACTION_LINE_RE = re.compile(r"^\W{0,4}(?:action items?|action|follow[- ]up)\W{0,4}:", re.I)
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_QUANTITY = (
    r"%|\s?(?:ms|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?|weeks?)\b"
    r"|\s+(?:[A-Za-z-]+\s+){0,2}?(?:users?|customers?|teams?|accounts?|tenants?|merchants?|organi[sz]ations?|orgs?"
    r"|sites?|devices?|sessions?|requests?|errors?|exceptions?|orders?|payments?|transactions?|tickets?|calls?"
    r"|jobs?|messages?|events?|emails?|builds?|pages?|records?|rows?|files?|services?|applications?|apps?|workloads?"
    r"|people|members|subscribers|bookings?|deliveries|notifications?)\b"
)
_NUMBER_RE = re.compile(
    rf"[$€£]\s?\d[\d,.]*|(?<![\w.:/#$€£-])\d[\d,.]*(?:\s?(?:k|K|M|million|thousand)\b|\+?(?={_QUANTITY}))"
)
_CLOCK_RANGE_RE = re.compile(r"(?<![\d:])\d{1,2}:\d{2}\s?(?:-|–|—|to)\s?\d{1,2}:\d{2}(?![\d:])")
_YEAR_RE = re.compile(r"^(?:19|20)\d\d$")
_DATE_CONTEXT_RE = re.compile(rf"{_MONTHS}\s*$", re.I)
_IMPACT_KEY_RE = re.compile(
    r"^\W*(?:[\w /-]*?)(?:impact|affected|users|customers|duration|downtime|recovery|error rate|failed|outage)"
    r"[\w /()-]*\W*:",
    re.I,
)

GENERIC_ACTIONS = (
    "Add an alert on consumer lag for the billing-events queue above 5 minutes "
    "(owner: Payments on-call, due 2024-09-30)",
    "Pin the TLS certificate renewal job for the partner gateway to run weekly and page on failure "
    "(owner: Edge team, due 2024-10-15)",
    "Add a CI check that rejects Helm charts without memory limits for the reporting workers "
    "(owner: Data platform, due 2024-11-01)",
    "Replace the nightly cron export of the CRM warehouse with an idempotent Airflow DAG "
    "(owner: Analytics engineering, due 2024-12-01)",
    "Set connection pool limits for the geocoding client and add a circuit breaker around it "
    "(owner: Maps squad, due 2024-10-20)",
)
BLAME_SENTENCES = (
    "Dave pushed the bad config without testing it.",
    "The outage happened because Priya was careless with the release and ignored the checklist.",
    "This was human error: Sam should have checked the dashboard before merging.",
    "Kim forgot to run the migration script, and nobody double-checked her work.",
    "Frankly, the on-call engineer was negligent and should have known better.",
)


@dataclass(frozen=True)
class Heading:
    """One ATX section of the text: its line span (heading included), level and canonical field."""

    start: int
    end: int
    level: int
    field: str | None


Degrade = Callable[[str, str | None], str]


def headings(markdown: str) -> list[Heading]:
    """The ATX sections of ``markdown`` with their spans; a subsection inherits its parent's field."""
    lines = markdown.split("\n")
    found: list[tuple[int, int, str]] = []
    fence = None
    for index, line in enumerate(lines):
        if match := FENCE_RE.match(line):
            fence = None if fence else match.group(1)[:3]
            continue
        if fence is None and (match := ATX_RE.match(line)):
            found.append((index, len(match.group(1)), match.group(2)))
    result: list[Heading] = []
    parents: list[tuple[int, str | None]] = []
    for i, (start, level, title) in enumerate(found):
        end = next((s for s, lv, _ in found[i + 1 :] if lv <= level), len(lines))
        while parents and parents[-1][0] >= level:
            parents.pop()
        field = canonical_field(title) or next((f for _, f in reversed(parents) if f), None)
        if level == 1 and i == 0:
            field = None
        parents.append((level, field))
        result.append(Heading(start, end, level, field))
    return result


def remove_actions(markdown: str, _donor: str | None = None) -> str:
    """(a) Every action section and every 'Action item:' line removed."""
    text = _drop_sections(markdown, ("action_items",))
    return "\n".join(line for line in text.split("\n") if not _ACTION_LINE_RE.match(line.strip("*_ ")))


def foreign_actions(markdown: str, donor: str | None) -> str:
    """(b) The action sections' bodies replaced by another document's action items."""
    if donor is None:
        return markdown
    items = [a.text for a in parse_markdown(donor).action_items() if a.text]
    return _replace_actions(markdown, items)


def generic_actions(markdown: str, _donor: str | None = None) -> str:
    """(b') The actions replaced by well-formed actions (owner, due date) about systems this document never names."""
    own = set(re.findall(r"[a-z]{4,}", markdown.lower()))
    pool = sorted(GENERIC_ACTIONS, key=lambda a: len(set(re.findall(r"[a-z]{4,}", a.lower())) & own))
    return _replace_actions(markdown, list(pool[:3]))


def foreign_root_cause(markdown: str, donor: str | None) -> str:
    """(c) The cause sections' bodies (root cause, trigger, or else contributing factors) replaced by another
    document's."""
    if donor is None:
        return markdown
    donor_body = _bodies(donor, CAUSE_FIELDS)
    if not donor_body.strip():
        return markdown
    marks = headings(markdown)
    own = [h for h in marks if h.field in ("root_cause", "trigger")] or [
        h for h in marks if h.field == "contributing_factors"
    ]
    return _replace_bodies(markdown, own, donor_body) if own else markdown


def remove_timeline(markdown: str, _donor: str | None = None) -> str:
    """(d) The timeline sections removed."""
    return _drop_sections(markdown, ("timeline",))


def drop_impact_figures(markdown: str, _donor: str | None = None) -> str:
    """(e) The numbers of the impact, summary and opening text, and of 'Impact/Duration/Affected: ...' lines,
    dropped; dates and version numbers stay."""
    lines = markdown.split("\n")
    first = headings(markdown)
    spans = [(h.start + 1, h.end) for h in first if h.field in ("impact", "summary")]
    opening_end = first[1].start if len(first) > 1 else len(lines)
    spans.append((0, opening_end if first and first[0].level == 1 else (first[0].start if first else len(lines))))
    chosen = {i for a, b in spans for i in range(a, b)}
    for index, line in enumerate(lines):
        if index in chosen or _IMPACT_KEY_RE.match(line):
            lines[index] = _without_numbers(line)
    return "\n".join(lines)


def inject_blame(markdown: str, _donor: str | None = None) -> str:
    """(f) Three sentences of blame written into the summary (or opening) and the cause sections; which three
    depends on the document, so the set of documents meets every sentence."""
    offset = int(hashlib.sha256(markdown.encode()).hexdigest(), 16) % len(BLAME_SENTENCES)
    picked = [BLAME_SENTENCES[(offset + i) % len(BLAME_SENTENCES)] for i in range(3)]
    lines = markdown.split("\n")
    marks = headings(markdown)
    summary = next((h for h in marks if h.field == "summary"), marks[0] if marks else None)
    causes = next((h for h in marks if h.field in CAUSE_FIELDS), None)
    inserts = [(summary.start + 1 if summary else 0, " ".join(picked[:2]))]
    inserts.append((causes.start + 1 if causes else len(lines), picked[2]))
    for at, text in sorted(inserts, reverse=True):
        lines[at:at] = ["", text, ""]
    return "\n".join(lines)


DEGRADATIONS: dict[str, tuple[Degrade, bool, str]] = {
    "actions_removed": (remove_actions, False, "action items removed"),
    "actions_foreign": (foreign_actions, True, "actions replaced by another document's"),
    "actions_generic": (generic_actions, False, "actions replaced by well-formed ones about other systems"),
    "root_cause_foreign": (foreign_root_cause, True, "root cause replaced by another document's"),
    "timeline_removed": (remove_timeline, False, "timeline removed"),
    "impact_figures_removed": (drop_impact_figures, False, "impact figures dropped"),
    "blame_injected": (inject_blame, False, "blame sentences injected"),
}
"""Each kind: the function, whether it takes a donor document, and what it does."""


def _drop_sections(markdown: str, fields: tuple[str, ...]) -> str:
    lines = markdown.split("\n")
    drop = {i for h in headings(markdown) if h.field in fields for i in range(h.start, h.end)}
    return "\n".join(line for i, line in enumerate(lines) if i not in drop)


def _replace_actions(markdown: str, items: list[str]) -> str:
    """The action sections' bodies become ``items``; 'Action item:' lines in prose go, and where they were the
    only actions, ``items`` become an Action items section at the end."""
    lines = markdown.split("\n")
    stripped = "\n".join(line for line in lines if not _ACTION_LINE_RE.match(line.strip("*_ ")))
    own = [h for h in headings(stripped) if h.field == "action_items"]
    if not items or (not own and stripped == markdown):
        return markdown
    body = "\n".join(f"- {item}" for item in items)
    if not own:
        return f"{stripped.rstrip()}\n\n## Action items\n\n{body}\n"
    return _replace_bodies(stripped, own, body)


def _replace_bodies(markdown: str, targets: list[Heading], body: str) -> str:
    """The first target's body becomes ``body``; the other targets (and subsections) go."""
    lines = markdown.split("\n")
    outermost = [h for h in targets if not any(o.start < h.start < o.end for o in targets if o is not h)]
    first, *rest = sorted(outermost, key=lambda h: h.start)
    for heading in sorted(rest, key=lambda h: h.start, reverse=True):
        del lines[heading.start : heading.end]
    lines[first.start + 1 : first.end] = ["", body, ""]
    return "\n".join(lines)


def _bodies(markdown: str, fields: tuple[str, ...]) -> str:
    """The text under the sections mapped to ``fields``, subsection headings demoted to bold lines."""
    lines = markdown.split("\n")
    chosen = [h for h in headings(markdown) if h.field in fields]
    kept: list[str] = []
    taken: set[int] = set()
    for heading in chosen:
        for i in range(heading.start + 1, heading.end):
            if i in taken:
                continue
            taken.add(i)
            match = ATX_RE.match(lines[i])
            kept.append(f"**{match.group(2)}**" if match else lines[i])
    return "\n".join(kept).strip()


def _without_numbers(line: str) -> str:
    line = _CLOCK_RANGE_RE.sub("", line)

    def drop(match: re.Match[str]) -> str:
        number = match.group(0).rstrip(".,")
        before = line[max(0, match.start() - 12) : match.start()]
        after = line[match.end() : match.end() + 8]
        if _YEAR_RE.match(number) or _DATE_CONTEXT_RE.search(before) or re.match(rf",?\s*{_MONTHS}", after, re.I):
            return match.group(0)
        return ""

    return _NUMBER_RE.sub(drop, line)
