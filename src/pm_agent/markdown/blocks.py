"""The block level of Markdown, read leniently: headings of every style, lists, tables, plain text.

This is the half of :mod:`pm_agent.markdown.document` that knows Markdown syntax; what a heading
or a table line is comes from :mod:`pm_agent.markdown.syntax` (the ``LENIENT`` policy). It splits a
document into flat sections (heading, level, bullets, tables, paragraph lines) and leaves
meaning (canonical fields, timelines, actions) to the callers. It accepts anything, including
text that is not Markdown at all, and never raises.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from pm_agent.markdown.syntax import ATX_RE, LENIENT, heading, table_cells, table_end, table_starts

_SETEXT_RE = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_BOLD_HEADING_RE = re.compile(r"^\s{0,3}(\*\*|__)(?P<title>[^*_\n]{1,80}?)\s*:?\s*\1\s*:?\s*\\?$")
_LABEL_HEADING_RE = re.compile(r"^\s{0,3}(?P<title>[A-Za-z][\w /&'-]{1,40}):\s*$")
FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")  # a code fence opening or closing
_LIST_RE = re.compile(r"^(?P<indent>\s*)(?:[-*+•]|\d{1,3}[.)])\s+(?P<body>\S.*)$")
_THEMATIC_RE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_ANNOTATION_RE = re.compile(
    r"^(?:owners?|assignee|assigned to|due|due date|deadline|eta|target|status|ticket|jira|issue|tracking"
    r"|done when)\s*:",
    re.I,
)
_REF_DEFINITION_RE = re.compile(r"^\s{0,3}\[(?P<text>[^\]]+)\]:\s*<?(?P<url>\S+?)>?(?:\s+[\"'(].*)?\s*$")
# Link texts stop at a '[' as well as at a ']', URLs at a '[' as well as at a ')' or a space: "[[[[..." or
# "[a](x[a](x..." would otherwise scan to the end from every '['.
_INLINE_LINK_RE = re.compile(r"!?\[(?P<text>[^\[\]]*)\]\((?P<url>[^)\s\[]+)(?:\s+\"[^\"\n]*\")?\)")
_AUTOLINK_RE = re.compile(r"<(?P<url>(?:https?|mailto):[^<>\s]+)>")
_BARE_URL_RE = re.compile(r"(?<![(<\w])https?://[^\s)>\]|]+")
_QUOTE_MARK_RE = re.compile(r"^\s{0,3}(>\s?)+")
_CODE_SPAN_RE = re.compile(r"`+([^`]*)`+")
_REF_LINK_RE = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
_BREAK_TAG_RE = re.compile(r"<br\s*/?>", re.I)
_HTML_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>")
_STRONG_RE = re.compile(r"(\*\*|__)(.+?)\1")
# Emphasis: the text inside never holds another opening mark (one not after a word character and before a
# non-space), so a scan that finds no closing mark stops at the next opening one instead of running to the end
# of the text from every mark ("_a _a _a ..." was quadratic). Each mark inside is read by exactly one branch.
_STAR_EMPHASIS_RE = re.compile(r"(?<![\w*])\*(?=\S)((?:[^*\n]|\*(?<=[\w*]\*)|(?<![\w*])\*(?!\S))+?)(?<=\S)\*(?![\w*])")
_UNDERSCORE_EMPHASIS_RE = re.compile(r"(?<![\w_])_(?=\S)((?:[^_\n]|_(?<=[\w_]_)|(?<![\w_])_(?!\S))+?)(?<=\S)_(?![\w_])")
_STRIKE_RE = re.compile(r"~~(.+?)~~")
_ESCAPED_RE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~>])")
# Every rewrite in _strip_inline needs one of these characters: text without them passes unchanged.
_INLINE_MARK_RE = re.compile(r"[`\[<*_~\\]")

_SYNONYMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "what_went_well",
        (
            "what went well",
            "went well",
            "went right",
            "what worked",
            "things that worked",
            "successes",
            "where we got lucky",
            "got lucky",
            "positives",
            "strengths",
        ),
    ),
    (
        "what_went_wrong",
        (
            "what went wrong",
            "went wrong",
            "went poorly",
            "went badly",
            "didn t go well",
            "didnt go well",
            "did not go well",
            "could have gone better",
            "what could be better",
            "pain points",
            "negatives",
        ),
    ),
    (
        "root_cause",
        (
            "root cause",
            "root causes",
            "rca",
            "cause",
            "causes",
            "caused",
            "causal analysis",
            "5 whys",
            "five whys",
            "why it happened",
            "why did it happen",
            "technical analysis",
            "analysis",
            "underlying issue",
            "underlying cause",
            "underlying problem",
            "why",
        ),
    ),
    (
        "contributing_factors",
        (
            "contributing factor",
            "contributing factors",
            "contributing cause",
            "contributing causes",
            "contributors",
            "factors",
        ),
    ),
    ("trigger", ("trigger", "triggers", "triggering event")),
    ("timeline", ("timeline", "time line", "chronology", "sequence of events", "events", "event log")),
    (
        "action_items",
        (
            "action item",
            "action items",
            "actions",
            "action plan",
            "follow up",
            "follow ups",
            "followup",
            "followups",
            "next steps",
            "corrective",
            "preventive",
            "preventative",
            "prevention",
            "improvements",
            "remediation items",
            "remediations",
            "tasks",
            "todo",
            "to do",
            "to dos",
            "work items",
            "recommendations",
            "fixes",
            "what we re changing",
            "what we are changing",
            "what we will change",
            "what we re doing about it",
            "what we are doing about it",
            "changes we are making",
            "going forward",
        ),
    ),
    ("detection", ("detection", "detected", "discovery", "how we found out", "alerting")),
    (
        "response",
        (
            "response",
            "resolution",
            "resolve",
            "resolved",
            "recovery",
            "mitigation",
            "mitigations",
            "remediation",
            "how we fixed",
            "restoration",
            "workaround",
            "repair",
            "fix",
        ),
    ),
    (
        "lessons",
        (
            "lessons",
            "lesson",
            "learned",
            "learnt",
            "learnings",
            "learning",
            "takeaways",
            "take aways",
            "reflections",
            "insights",
            "retrospective",
        ),
    ),
    ("impact", ("impact", "customer impact", "user impact", "blast radius", "affected", "scope", "consequences")),
    (
        "summary",
        (
            "summary",
            "overview",
            "tl dr",
            "tldr",
            "executive summary",
            "abstract",
            "description",
            "what happened",
            "synopsis",
            "problem statement",
        ),
    ),
    ("background", ("background", "context", "architecture", "system overview", "glossary")),
)
_SYNONYM_RES = [(name, re.compile(rf"\b{re.escape(phrase)}\b")) for name, phrases in _SYNONYMS for phrase in phrases]


@dataclass
class Block:
    """One section as read: heading and body parts, inline Markdown still in place."""

    title: str
    level: int
    text_lines: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)
    order: list[tuple[str, int]] = field(default_factory=list, repr=False)

    @property
    def text(self) -> str:
        return "\n".join(line for line in self.text_lines if line).strip()


@dataclass
class Blocks:
    """A whole document as read: sections in order, front matter, links, and its first line."""

    sections: list[Block]
    front_matter: dict[str, str]
    links: list[tuple[str, str]]
    first_line: str


def canonical_field(title: str) -> str | None:
    """The canonical field a heading names, by the synonym that starts earliest (longest wins ties)."""
    norm = _normalise_title(title)
    if not norm or len(norm.split()) > 12:
        return None
    best: tuple[int, int, str] | None = None
    for name, pattern in _SYNONYM_RES:
        match = pattern.search(norm)
        if match and (best is None or (match.start(), -len(match.group(0))) < best[:2]):
            best = (match.start(), -len(match.group(0)), name)
    return best[2] if best else None


def plain(text: str) -> str:
    """Inline Markdown to plain text: links keep their text, emphasis and code marks go, HTML goes."""
    t = _strip_inline(text) if _INLINE_MARK_RE.search(text) else text
    return " ".join(html.unescape(t).split())


def _strip_inline(text: str) -> str:
    """Code spans, links, tags, emphasis, strike-through and backslash escapes replaced by their text."""
    t = _CODE_SPAN_RE.sub(r"\1", text)
    t = _INLINE_LINK_RE.sub(lambda m: m["text"], t)
    t = _REF_LINK_RE.sub(r"\1", t)
    t = _AUTOLINK_RE.sub(lambda m: m["url"], t)
    t = _BREAK_TAG_RE.sub(" ", t)
    t = _HTML_TAG_RE.sub("", t)
    t = _STRONG_RE.sub(r"\2", t)
    t = _STAR_EMPHASIS_RE.sub(r"\1", t)
    t = _UNDERSCORE_EMPHASIS_RE.sub(r"\1", t)
    t = _STRIKE_RE.sub(r"\1", t)
    return _ESCAPED_RE.sub(r"\1", t)


def split_cells(line: str) -> list[str]:
    """The cells of a table row, ``\\|`` kept as a literal bar, each cell in plain text."""
    return [plain(cell) for cell in table_cells(line)]


def read_blocks(md: str) -> Blocks:
    """Split ``md`` into sections; text before any heading goes to an untitled section of level 0."""
    text = _normalise(md)
    front_matter, text = _front_matter(text)
    lines = text.split("\n")
    links = _links(text)
    lines = [line for line in lines if not _REF_DEFINITION_RE.match(line)]
    reader = _Reader()
    reader.run(lines)
    sections = [b for b in reader.sections if b.title or b.text_lines]
    first_line = next((plain(ATX_RE.sub(r"\2", line)) for line in lines if plain(line).strip("#=- ")), "")
    return Blocks(sections=sections, front_matter=front_matter, links=links, first_line=first_line[:160])


class _Reader:
    """A line-by-line state machine: fences, headings, tables, lists with continuation, paragraphs."""

    def __init__(self) -> None:
        self.current = Block(title="", level=0)
        self.sections = [self.current]
        self.heading_level = 0
        self.fence: str | None = None
        self.item_stack: list[tuple[int, int]] = []
        self.bullet_lines: dict[int, int] = {}
        self.blank_since_item = True

    def run(self, lines: list[str]) -> None:
        i = 0
        while i < len(lines):
            i = self._step(lines, i)

    def _step(self, lines: list[str], i: int) -> int:
        line = _QUOTE_MARK_RE.sub("", lines[i])
        if self.fence is not None:
            if line.strip().startswith(self.fence):
                self.fence = None
            else:
                self._paragraph(line)
            return i + 1
        if fence := FENCE_RE.match(line):
            self.fence = fence.group(1)[:3]
            return i + 1
        if not line.strip():
            self.blank_since_item = True
            return i + 1
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if match := heading(line, LENIENT):
            self._open(plain(match.group(2)), len(match.group(1)), real=True)
            return i + 1
        if self._is_setext(lines, i, nxt):
            self._open(plain(line), 1 if nxt.strip().startswith("=") else 2, real=True)
            return i + 2
        if table_starts(line, nxt, LENIENT):
            return self._table(lines, i)
        if _THEMATIC_RE.match(line):
            return i + 1
        if (match := _BOLD_HEADING_RE.match(line)) or self._label_heading(line):
            title = match["title"] if match else line.strip().rstrip(":")
            self._open(plain(title).rstrip(":").strip(), self.heading_level + 1, real=False)
            return i + 1
        if match := _LIST_RE.match(line):
            self._item(len(match["indent"]), match["body"].strip())
            return i + 1
        if self.item_stack and (not self.blank_since_item or line.startswith("  ")):
            self._continue_item(line.strip())
            return i + 1
        self._paragraph(line)
        return i + 1

    def _is_setext(self, lines: list[str], i: int, nxt: str) -> bool:
        line = lines[i]
        if not _SETEXT_RE.match(nxt) or _LIST_RE.match(line) or "|" in line:
            return False
        return i == 0 or not lines[i - 1].strip()

    @staticmethod
    def _label_heading(line: str) -> bool:
        match = _LABEL_HEADING_RE.match(line)
        return bool(match and canonical_field(match["title"]))

    def _open(self, title: str, level: int, *, real: bool) -> None:
        if real:
            self.heading_level = level
        self.current = Block(title=title, level=level)
        self.sections.append(self.current)
        self.item_stack = []
        self.bullet_lines = {}
        self.blank_since_item = True

    def _table(self, lines: list[str], i: int) -> int:
        header = split_cells(lines[i])
        rows: list[list[str]] = []
        j = table_end(lines, i + 2, LENIENT)
        for row in lines[i + 2 : j]:
            cells = split_cells(row)
            rows.append(cells + [""] * (len(header) - len(cells)))
        self.current.order.append(("table", len(self.current.tables)))
        self.current.tables.append((header, rows))
        self.current.text_lines += [" | ".join(c for c in row if c) for row in [header, *rows]]
        self.item_stack = []
        return j

    def _item(self, indent: int, body: str) -> None:
        if _THEMATIC_RE.match(body) and not body.strip("-*_ "):
            return
        while self.item_stack and self.item_stack[-1][0] >= indent:
            self.item_stack.pop()
        if self.item_stack and _ANNOTATION_RE.match(plain(body)):
            self._append_to(self.item_stack[-1][1], "; " + body)
            return
        self.current.order.append(("bullet", len(self.current.bullets)))
        self.current.bullets.append(body)
        self.bullet_lines[len(self.current.bullets) - 1] = len(self.current.text_lines)
        self.current.text_lines.append("- " + plain(body))
        self.item_stack.append((indent, len(self.current.bullets) - 1))
        self.blank_since_item = False

    def _continue_item(self, text: str) -> None:
        self._append_to(self.item_stack[-1][1], " " + text)

    def _append_to(self, index: int, text: str) -> None:
        bullets = self.current.bullets
        bullets[index] = (bullets[index] + text).strip()
        self.current.text_lines[self.bullet_lines[index]] = "- " + plain(bullets[index])

    def _paragraph(self, line: str) -> None:
        self.item_stack = []
        text = line.rstrip().rstrip("\\").strip()
        if plain(text):
            self.current.order.append(("paragraph", len(self.current.paragraphs)))
            self.current.paragraphs.append(text)
            self.current.text_lines.append(plain(text))


def _normalise(md: str) -> str:
    text = md.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return re.sub(r"<!--.*?(?:-->|$)", "", text, flags=re.S)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """YAML-style ``key: value`` front matter between ``---`` lines, as plain strings."""
    match = re.match(r"^\s*---\n(.*?)\n---\s*(?:\n|$)", text, re.S)
    if not match:
        return {}, text
    facts = {}
    for line in match.group(1).split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith(" "):
            facts[key.strip().lower()] = value.strip().strip("\"'")
    return facts, text[match.end() :]


def _links(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for match in _INLINE_LINK_RE.finditer(text):
        found.append((plain(match["text"]), match["url"]))
    for line in text.split("\n"):
        if match := _REF_DEFINITION_RE.match(line):
            found.append((match["text"], match["url"]))
    found += [(m["url"], m["url"]) for m in _AUTOLINK_RE.finditer(text)]
    known = {url for _, url in found}
    found += [(m.group(0), m.group(0)) for m in _BARE_URL_RE.finditer(text) if m.group(0) not in known]
    return list(dict.fromkeys(found))


def _normalise_title(title: str) -> str:
    norm = plain(title).lower()
    norm = re.sub(r"^\s*(?:\d+(?:\.\d+)*[.)]?|[ivx]+[.)]|[a-z][.)])\s+", "", norm)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", norm).split())
