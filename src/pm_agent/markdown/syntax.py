"""Markdown line syntax shared by every reader: headings, tables and their cells, under a row policy.

Two readers use it. The ingester of an incident timeline (:mod:`pm_agent.ingest.text`) reads
**strictly**: every row it keeps becomes an event on the incident's clock, so a table is a table
only when its lines open with ``|`` and its delimiter cells hold at least three dashes, a heading
starts at the margin, and only the approximate marks a person plainly writes (``~``, ``around``)
make a row's time "as written". The scorer and the memory (:mod:`pm_agent.markdown.blocks` and
:mod:`pm_agent.markdown.entries`) read **leniently** any team's postmortem: a table line need only
hold a ``|``, a heading may be indented by up to three spaces, and more estimate marks count
(``≈``, ``roughly``, ``est.``). Everything here is a pure function of its lines and never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# An ATX heading: level marks, title. Up to three spaces may open it; the strict policy allows none.
ATX_RE = re.compile(r"^\s{0,3}(?P<marks>#{1,6})\s+(?P<text>.*?)\s*#*\s*$")


def _delimiter_re(dashes: str) -> re.Pattern[str]:
    """A table's delimiter row: cells of dashes, each optionally ``:``-aligned, bars optional at the ends.
    No "\\s*\\|?\\s*": two blank runs around an optional mark are quadratic on a line of spaces."""
    cell = rf":?{dashes}:?"
    return re.compile(rf"^\s*(?:\|\s*)?{cell}\s*(?:\|\s*{cell}\s*)*(?:\|\s*)?$")


@dataclass(frozen=True)
class RowPolicy:
    """How much Markdown a reader accepts as a heading, a table or an approximate time."""

    name: Literal["strict", "lenient"]
    delimiter: re.Pattern[str]  # the line under a table's header
    bar_opens_rows: bool  # strict: every table line opens with "|"; lenient: it holds one somewhere
    headings_at_margin: bool  # strict: "#" in the first column; lenient: up to three spaces first
    approximate: str  # a regex: the marks that make a written time an estimate
    time_header: re.Pattern[str]  # a header naming (strict) or mentioning (lenient) a column of times


STRICT = RowPolicy(
    name="strict",
    delimiter=_delimiter_re("-{3,}"),
    bar_opens_rows=True,
    headings_at_margin=True,
    approximate=r"~|±|\+/-|(?:around|about|approx(?:\.|imately)?|circa|ca\.)\s",
    time_header=re.compile(r"^(?:time(?:stamp)?|when|at|datetime|date\s*(?:/|and|&)?\s*time)\b", re.I),
)
LENIENT = RowPolicy(
    name="lenient",
    delimiter=_delimiter_re("-+"),
    bar_opens_rows=False,
    headings_at_margin=False,
    approximate=r"(?:[~≈±]|\+/-|\b(?:approx(?:imately|\.)?|around|about|circa|ca\.|roughly|est\.?)\s)\s*",
    time_header=re.compile(r"\b(time|date|when|timestamp|utc|clock|hour)\b", re.I),
)

APPROXIMATE_AFTER = re.compile(
    r"\s*(?:\(\s*(?:approx(?:imately|\.)?|est(?:imated|\.)?|roughly|about)\s*\)"
    r"|approx(?:imately|\.)?(?=\s*(?:$|[-–—:|])))",
    re.I,
)
"""The mark of an estimate written after a time, for every reader: ``14:05 (approx.)``, ``14:05 approx. - text``
(a bare ``approx.`` only before the end or a separator, so ``14:05 approx. 300 users`` keeps its exact time)."""

_CELL_BAR_RE = re.compile(r"(?<!\\)\|")
_STRONG_AND_CODE_MARKS_RE = re.compile(r"\*\*|__|`")


def strip_marks(text: str) -> str:
    """``text`` without ``**``, ``__`` and backticks: the strict reading of inline Markdown, which keeps
    links and single-mark emphasis as written (the lenient one is :func:`pm_agent.markdown.blocks.plain`)."""
    return _STRONG_AND_CODE_MARKS_RE.sub("", text)


def heading(line: str, policy: RowPolicy) -> re.Match[str] | None:
    """The ATX heading ``line`` is (groups ``marks`` and ``text``), else None."""
    if policy.headings_at_margin and not line.startswith("#"):
        return None
    return ATX_RE.match(line)


def is_table_row(line: str, policy: RowPolicy) -> bool:
    """Whether ``line`` can be a row of a table: it opens with (strict) or holds (lenient) a ``|``."""
    return line.lstrip().startswith("|") if policy.bar_opens_rows else "|" in line


def table_starts(line: str, following: str, policy: RowPolicy) -> bool:
    """Whether ``line`` is a table's header: a row with a delimiter row under it."""
    return is_table_row(line, policy) and bool(policy.delimiter.match(following))


def table_end(lines: list[str], first_row: int, policy: RowPolicy) -> int:
    """The index after the last row of the table whose body starts at ``first_row``."""
    end = first_row
    while end < len(lines) and is_table_row(lines[end], policy):
        end += 1
    return end


def table_cells(row: str) -> list[str]:
    """The cells of ``| a | b |`` as written, stripped; ``\\|`` is a pipe inside a cell."""
    inner = row.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [cell.replace("\\|", "|").strip() for cell in _CELL_BAR_RE.split(inner)]
