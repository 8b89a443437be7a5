"""Any team's postmortem in Markdown, read into titled sections mapped to canonical fields.

Teams write postmortems in many shapes: ``## Root Cause`` or ``**What happened?**`` or a setext
``Timeline\\n--------``, timelines as tables or bullets, actions with ``Owner: X`` or ``(@x)``.
:func:`parse_markdown` reads them all into :class:`MarkdownPostmortem`, whose accessors answer
in canonical terms (``summary``, ``timeline``, ``action_items``...) whatever the headings said.
The parser never fails: text it cannot place stays in the section it appeared in.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, Field

from pm_agent.markdown.blocks import canonical_field, plain, read_blocks
from pm_agent.markdown.entries import (
    ActionEntry,
    TimelineRow,
    action_from_cells,
    action_from_text,
    parse_date,
    row_from_text,
    rows_from_table,
    zone_in,
)

__all__ = [
    "CANONICAL_FIELDS",
    "ActionEntry",
    "Link",
    "MarkdownPostmortem",
    "Section",
    "Table",
    "TimelineRow",
    "parse_markdown",
]

CANONICAL_FIELDS: tuple[str, ...] = (
    "summary",
    "impact",
    "timeline",
    "root_cause",
    "contributing_factors",
    "detection",
    "response",
    "action_items",
    "lessons",
    "what_went_well",
    "what_went_wrong",
    "trigger",
    "background",
)
FIELD_ALIASES = {"resolution": "response", "actions": "action_items", "lessons_learned": "lessons"}
_REMEDIATION_TITLE_RE = re.compile(r"\bremediations?\b", re.I)  # 'Remediation' lists fixes, done or planned
_ACTION_LINE_RE = re.compile(r"^\W{0,4}(?:action items?|action|follow[- ]up|todo|to-do)\W{0,4}:\W*\s", re.I)
_FACT_LINE_RE = re.compile(r"^\s*(?:\*\*|__)(?P<key>[^*_:]{1,60}?):?(?:\*\*|__)\s*:?\s*(?P<value>\S.*)$")
_PLAIN_FACT_RE = re.compile(r"^(?P<key>[A-Za-z][\w /&()'-]{0,40}?)\s*:\s+(?P<value>\S.*)$")
_TABLE_LABEL_HEADERS = {"key", "field", "item", "property", "attribute", "name", "value", "detail", "details", ""}


class Table(BaseModel):
    """A Markdown table: its header cells and its rows, cells in plain text."""

    header: list[str]
    rows: list[list[str]] = Field(default_factory=list)

    def records(self) -> list[dict[str, str]]:
        """Each row as ``{header cell (lowercase): value}``."""
        keys = [h.lower() for h in self.header]
        return [dict(zip(keys, row, strict=False)) for row in self.rows]


class Section(BaseModel):
    """Everything under one heading, up to the next heading of any level."""

    title: str
    level: int = Field(description="1-6 for # headings; a bold or label pseudo-heading sits one below its parent.")
    canonical: str | None = Field(default=None, description="The canonical field, own or inherited from a parent.")
    text: str = Field(default="", description="The body in plain text: paragraphs, '- ' bullets, table rows.")
    bullets: list[str] = Field(default_factory=list, description="List items as written (inline Markdown kept).")
    tables: list[Table] = Field(default_factory=list)
    paragraphs: list[str] = Field(default_factory=list, description="Non-list, non-table lines as written.")
    order: list[tuple[str, int]] = Field(
        default_factory=list, description="The body in document order: ('bullet' | 'table' | 'paragraph', index)."
    )

    def parts(self) -> list[str | Table]:
        """Bullets (as written), tables and paragraph lines in the order the document has them."""
        kinds = {"bullet": self.bullets, "table": self.tables, "paragraph": self.paragraphs}
        return [kinds[kind][index] for kind, index in self.order]


class Link(BaseModel):
    """A hyperlink: its text and target."""

    text: str
    url: str


class MarkdownPostmortem(BaseModel):
    """A parsed postmortem: title, sections, facts (``**Key:** value``), links, and canonical accessors."""

    title: str = ""
    sections: list[Section] = Field(default_factory=list)
    facts: dict[str, str] = Field(default_factory=dict, description="Lowercase key to value, from metadata lines.")
    links: list[Link] = Field(default_factory=list)

    def field(self, name: str) -> str:
        """The joined plain text of every section mapped to the canonical field ``name``."""
        return "\n\n".join(s.text for s in self.sections_for(name) if s.text)

    def items(self, name: str) -> list[str]:
        """Bullets and table rows (cells joined by ' | ') of the sections mapped to ``name``, in plain text."""
        found: list[str] = []
        for section in self.sections_for(name):
            for kind, index in section.order:
                if kind == "bullet":
                    found.append(_strip_checkbox(plain(section.bullets[index])))
                elif kind == "table":
                    found += [" | ".join(c for c in row if c) for row in section.tables[index].rows]
        return [item for item in found if item]

    def sections_for(self, name: str) -> list[Section]:
        """The sections mapped to ``name`` (an alias such as ``resolution`` is accepted)."""
        name = FIELD_ALIASES.get(name, name)
        if name not in CANONICAL_FIELDS:
            raise ValueError(f"unknown field {name!r}; known fields: {', '.join(CANONICAL_FIELDS)}")
        return [s for s in self.sections if s.canonical == name]

    def fields_present(self) -> list[str]:
        """Canonical fields that have at least one non-empty section, in canonical order."""
        return [f for f in CANONICAL_FIELDS if any(s.text for s in self.sections_for(f))]

    def preamble(self) -> str:
        """Text under the title heading (or before any heading): often an unlabelled summary."""
        return "\n\n".join(s.text for s in self.sections if s.canonical is None and s.title == self.title and s.text)

    @property
    def text(self) -> str:
        """The whole document in plain text, section titles included."""
        return "\n\n".join(f"{s.title}\n{s.text}".strip() for s in self.sections).strip()

    def timeline_rows(self) -> list[TimelineRow]:
        """Rows that carry a time or date, from timeline sections, else from anywhere in the document."""
        rows = _rows_in(self.sections_for("timeline"))
        return rows or _rows_in(self.sections, tables_need_time_header=True)

    def timeline_zone(self) -> str | None:
        """The time zone the timeline states (``UTC``, ``CET``, ``+02:00``), else the one its rows carry."""
        for section in self.sections_for("timeline"):
            headers = " ".join(" ".join(t.header) for t in section.tables)
            zone = zone_in(f"{section.title}\n{' '.join(section.paragraphs)}\n{headers}")
            if zone:
                return zone
        zones = [row.zone for row in self.timeline_rows() if row.zone]
        return max(dict.fromkeys(zones), key=zones.count) if zones else None  # a tie goes to the first seen

    def action_items(self) -> list[ActionEntry]:
        """Actions from action sections (tables and bullets), bullets under a 'Remediation' heading, and
        ``Action item:`` lines anywhere."""
        actions: list[ActionEntry] = []
        for section in self.sections:
            in_actions = section.canonical == "action_items" or bool(_REMEDIATION_TITLE_RE.search(section.title))
            section_due = _title_target(section.title)
            for kind, index in section.order:
                if kind == "table":
                    table = section.tables[index]
                    if in_actions:
                        actions += [action_from_cells(table.header, row) for row in table.rows if any(row)]
                    continue
                line = section.bullets[index] if kind == "bullet" else section.paragraphs[index]
                if _ACTION_LINE_RE.match(plain(line)):
                    actions.append(action_from_text(line))
                elif kind == "bullet" and in_actions:
                    actions.append(action_from_text(line, default_due=section_due))
        return [a for a in actions if a.text]

    def incident_date(self) -> dt.date | None:
        """The incident's date: a ``date`` fact, the title, the opening text, or the first dated timeline row."""
        candidates = [v for k, v in self.facts.items() if "date" in k or k in ("when", "started", "start")]
        candidates += [self.title, self.preamble(), self.field("summary")]
        for text in candidates:
            found = parse_date(text)
            if found:
                return found
        return next((row.date for row in self.timeline_rows() if row.date), None)


def parse_markdown(md: str) -> MarkdownPostmortem:
    """Read a postmortem written in Markdown (any heading style, tables, lists) without ever failing."""
    blocks = read_blocks(md if isinstance(md, str) else "")
    sections: list[Section] = []
    parents: list[Section] = []
    for block in blocks.sections:
        section = Section(
            title=block.title,
            level=block.level,
            text=block.text,
            bullets=block.bullets,
            paragraphs=block.paragraphs,
            tables=[Table(header=h, rows=r) for h, r in block.tables],
            order=block.order,
        )
        while parents and parents[-1].level >= section.level:
            parents.pop()
        own = canonical_field(section.title) if section.title else None
        section.canonical = own or next((p.canonical for p in reversed(parents) if p.canonical), None)
        parents.append(section)
        sections.append(section)
    title = blocks.front_matter.get("title") or _document_title(sections) or blocks.first_line
    for section in sections:
        if section.title == title and section.level == 1:
            section.canonical = None
    doc = MarkdownPostmortem(title=title, sections=sections, links=[Link(text=t, url=u) for t, u in blocks.links])
    doc.facts = {**_facts(sections), **blocks.front_matter}
    return doc


def _document_title(sections: list[Section]) -> str:
    """The first level-1 heading that is not itself a canonical section name such as 'Summary'."""
    return next((s.title for s in sections if s.level == 1 and not canonical_field(s.title)), "")


def _facts(sections: list[Section]) -> dict[str, str]:
    """``**Key:** value`` lines anywhere, as bullets only in unmapped sections (in 'Action items' they are
    labelled actions, not facts); ``Key: value`` bullets and two-column tables in unmapped sections."""
    facts: dict[str, str] = {}
    for section in sections:
        lines = section.paragraphs + (section.bullets if section.canonical is None else [])
        for line in lines:
            match = _FACT_LINE_RE.match(line)
            if match and len(match["key"].split()) <= 6:
                facts.setdefault(plain(match["key"]).lower(), plain(match["value"]))
        if section.canonical is not None:
            continue
        for bullet in section.bullets:
            match = _PLAIN_FACT_RE.match(plain(bullet))
            if match and len(match["key"].split()) <= 5:
                facts.setdefault(match["key"].strip().lower(), match["value"].strip())
        for table in section.tables:
            if len(table.header) != 2:
                continue
            pairs = [] if table.header[0].lower() in _TABLE_LABEL_HEADERS else [table.header]
            for key, value in pairs + [r for r in table.rows if len(r) == 2]:
                if key and value:
                    facts.setdefault(key.lower(), value)
    return facts


def _rows_in(sections: list[Section], *, tables_need_time_header: bool = False) -> list[TimelineRow]:
    rows: list[TimelineRow] = []
    for section in sections:
        for part in section.parts():
            if isinstance(part, Table):
                rows += rows_from_table(part.header, part.rows, need_time_header=tables_need_time_header)
            elif row := row_from_text(part):
                rows.append(row)
    return rows


def _title_target(title: str) -> str | None:
    """A target a section title gives its items, as in 'Long-term improvements (Target: Q4 2025)'."""
    match = re.search(r"\b(?:target|due|by|deadline)\b\s*:?\s*([^)]*)", title, re.I)
    return match.group(1).strip() if match and match.group(1).strip() else None


def _strip_checkbox(text: str) -> str:
    return re.sub(r"^\[[ xX]\]\s*", "", text).strip()
