"""A postmortem read for substance: its declarative statements, grouped by what they do, and its vocabulary.

The rubric credits what a document *states*, not the shape it has. :func:`read` turns a parsed
postmortem into :class:`Reading`:

- every section's items and sentences become candidate statements; a question, a line marked
  as unconfirmed ("hypothesis", "to confirm", "candidate", "not in the data", "unknown"), a
  sentence saying what the data does not say or what to "Ask:", and everything under a heading
  so marked, states nothing (nor does a fact or an action owner so marked); quoted evidence
  ("...", ``(evidence: ...)``) is evidence for a claim, not a claim, so it is cut out before the
  words are counted;
- sections fall into groups: the *account* of what happened (title, summary, timeline, impact,
  response), the *causes* (root cause, trigger, contributing factors), the *actions* and the
  *lessons* (lessons, what went well and wrong);
- a statement is *coherent* when its specific terms also occur in the groups other than its own:
  a root cause about this incident shares components with its summary and timeline, a root cause
  pasted from another incident does not;
- a cause (or a causal sentence of the summary) that only *echoes* the timeline (most of its
  specific terms are already in the timeline's entries) says what happened, not why: it counts a
  quarter. A root cause that adds what the record of events does not say counts in full. A lesson
  (or a done action) counts a quarter when it repeats one timeline entry, and a lesson half when it
  only quotes entries one after another (each part before a citation repeats one): a lesson may well
  connect facts the timeline names, but one that adds nothing of its own says no more than the record.

One reading serves all eight criteria, so the document is tokenised once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from pm_agent.analysis.rubric.terms import Terms, shared_share, shared_weight, terms
from pm_agent.markdown.blocks import canonical_field, plain
from pm_agent.markdown.document import ActionEntry, MarkdownPostmortem, Section, Table, TimelineRow
from pm_agent.textscan.words import compile_scanned

GROUPS = {
    "root_cause": "causes",
    "trigger": "causes",
    "contributing_factors": "causes",
    "action_items": "actions",
    "lessons": "lessons",
    "what_went_well": "lessons",
    "what_went_wrong": "lessons",
}
ACCOUNT = "account"
ALIGN_FULL = 2.0  # the specific weight an action shares with the stated causes to fully address one ...
ALIGN_SHARE = 0.3  # ... provided that much of what it names is about them (a long action shares some words by chance)
SUBJECT_SHARE = 0.0  # the services an incident lists say which systems, not which cause: they do not count
FULL_COHERENCE = 0.5  # a statement sharing half its specific weight with the rest of the document is about it
NO_COHERENCE = 0.15  # one sharing less is about something else
SHARED_FULL = 3.0  # ... or one naming this much of the account's specific weight ...
SHARED_SHARE = 0.25  # ... provided at least this share of it is about them

UNCONFIRMED_RE = compile_scanned(
    r"\b(?:hypothes[ie]s|to (?:be )?confirm(?:ed)?|unconfirmed|candidates?\b|not in the data|not evident"
    r"|not (?:yet )?(?:known|established|determined)|unknown|not stated|to be determined|tbd|tbc"
    r"|not available in the data|none yet|nothing yet|(?:see|in) the open questions)\b",
    re.I,
)
# a sentence that says what the data leaves open, or what to ask: it withholds itself, not the rest of its paragraph
# ('The data does not state the cause; see the root cause section.' beside a summary that states the impact), and
# nothing when it goes on to state something ('The data does not state the cause, but it records ...')
_UNSAID_RE = re.compile(
    r"\bthe (?:data|input) (?:does not|doesn't) (?:say|state|show)\b(?![^.]*\b(?:but|however|yet)\b)|^ask:", re.I
)
# A sentence in a cause section that says it is not about the cause ("About the recovery, not the incident's cause:
# the rollback was held up due to a state lock") tells the account, not why the incident happened.
_NOT_THE_CAUSE_RE = re.compile(
    r"\bnot (?:the|a|an|its|this)(?: incident's| incident| root| underlying| main)? cause\b"
    r"|\bunrelated to the (?:incident|failure|outage)\b",
    re.I,
)
CAUSAL_RE = compile_scanned(
    r"\b(?:because|due to|caused|causing|causes|result(?:ed|ing)? (?:of|in)|as a result|led to|leads? to|leading to"
    r"|which meant|this meant|meant that|meaning that|triggered by|therefore|consequently|in turn|so that"
    r"|which made|made it|prevented|preventing)\b",
    re.I,
)
_QUESTION_START_RE = re.compile(
    r"^(?:why|what|how|when|who|which|where|was|were|did|does|do|is|are|could|should|can|would|has|have)\b", re.I
)
_QUOTE_RE = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”")
_EVIDENCE_RE = re.compile(  # '(evidence: ...)', a cited event: '(2025-03-18 00:22 UTC: Rollback started)', a source: '(chat, 14:02)'
    r"\((?:(?:evidence|source|seen in|from the data|hypothesis)\b|(?:alert|chat|deploy|page|note|metric|log|slack), "
    r"|(?:\d{4}-\d{2}-\d{2}[ T])?\d{1,2}:\d{2}(?::\d{2})?(?:\s?[A-Z]{2,4})?:\s)[^()\n]*\)",
    re.I,
)
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[*_A-Z0-9])")
_LEADING_LABEL_RE = re.compile(r"^(?:why\?|because)\s*", re.I)
# a fact naming the systems involved: 'Services', 'Affected systems' (a word, so 'Systemic cause' is not one)
_SUBJECT_KEY_RE = re.compile(r"\b(?:sub)?(?:service|system|component|application|product)s?\b", re.I)
RESTATED = 0.8  # a statement whose specific weight is this much the title's only repeats it
MIN_SPECIFIC = 2.0  # a statement names at least two things (or one identifier and more): less is a label
QUOTE_WORDS = 4  # a shorter quotation is a name ("stable API"), a longer one is quoted evidence
ECHO = 0.8  # a cause or lesson whose specific weight is this much the timeline's only repeats the events ...
ECHO_WEIGHT = 0.25  # ... and counts this much: it says what happened, not why
JOINED_WEIGHT = 0.5  # a lesson that only quotes timeline entries one after another joins them: it counts this much
LABEL_WORDS = 20  # a lead-in before ': ' this short labels the statement; what follows is what it says


@dataclass(frozen=True, slots=True)
class Citing:
    """A line that cites several events: its terms, and the terms of what it says before each citation (after the
    lead-in: "Recovery can be held up: X (deploy, 09:10); what let it go on: Y (note, 09:15)" has the parts X and Y)."""

    whole: Terms
    parts: tuple[Terms, ...]


@dataclass(frozen=True, slots=True)
class Statement:
    """One declarative sentence or list item, with its terms and how well it fits the rest of the document."""

    text: str
    field: str | None
    group: str
    section: int
    terms: Terms
    causal: bool
    coherence: float = 0.0
    shared: float = 0.0
    echo: float = 0.0
    cites: Citing | None = None  # of a lesson citing several events: what its line says, and before each citation
    joined: bool = False  # each of its parts repeats a timeline entry

    @property
    def summary_cause(self) -> bool:
        """A causal sentence of the account's summary (or of an unmapped section): a cause stated outside the cause
        sections."""
        return self.group == ACCOUNT and self.causal and self.field in (None, "summary")

    @property
    def weight(self) -> float:
        """How much the statement counts: 1 when it is about this incident, 0 when it is about another.

        It is the share of its specific weight the account also names, scaled between NO_COHERENCE and
        FULL_COHERENCE; a long statement that names several of the account's components (SHARED_FULL)
        counts fully once a fair share (SHARED_SHARE) of it is about them. An analysis statement that only
        repeats one timeline entry (ECHO) counts ECHO_WEIGHT of that: it restates what happened. A lesson that only
        quotes entries one after another ("X (chat, 09:10); what worked instead: Y (deploy, 09:30)") counts
        JOINED_WEIGHT: it connects them, but says nothing about the system that the record of events does not."""
        by_share = (self.coherence - NO_COHERENCE) / (FULL_COHERENCE - NO_COHERENCE)
        by_weight = self.shared / SHARED_FULL if self.coherence >= SHARED_SHARE else 0.0
        weight = max(0.0, min(1.0, max(by_share, by_weight)))
        if self.echo >= ECHO:
            return weight * ECHO_WEIGHT
        return weight * JOINED_WEIGHT if self.joined else weight


@dataclass(frozen=True)
class Action:
    """An action item that states something, with how far it addresses the document's own causes (0 to 1)."""

    entry: ActionEntry
    aim: float


@dataclass
class Reading:
    """A document's statements by group, the withheld lines, and the terms each group uses."""

    doc: MarkdownPostmortem
    statements: list[Statement] = field(default_factory=list)
    withheld: list[tuple[str, str]] = field(default_factory=list)
    stated: list[tuple[str, str]] = field(default_factory=list)
    mentions: dict[str, list[str]] = field(default_factory=dict)
    group_terms: dict[str, set[str]] = field(default_factory=dict)
    rows: list[set[str]] = field(default_factory=list)  # the specific terms of each timeline entry

    def of(self, *fields: str) -> list[Statement]:
        """The statements of sections mapped to ``fields`` (``None`` for unmapped ones)."""
        return [s for s in self.statements if s.field in fields]

    def points(self, name: str) -> list[str]:
        """What a field says: its statements, and its shorter sentences that still name one thing
        ('The alert fired within 7 minutes'). For listing points, not for judging analysis."""
        return [s.text for s in self.statements if s.field == name] + self.mentions.get(name, [])

    def in_group(self, group: str) -> list[Statement]:
        return [s for s in self.statements if s.group == group]

    def stated_text(self, *, besides: str | None = None) -> str:
        """Every sentence that is not open (a question or unconfirmed), also those too thin to be a statement;
        ``besides`` leaves out one group's."""
        return "\n".join(line for group, line in self.stated if group != besides)

    @cached_property
    def timeline_rows(self) -> list[TimelineRow]:
        """The document's timeline rows, read once for all the criteria that ask for them (on a long timeline
        reading the rows costs as much as a criterion)."""
        return self.doc.timeline_rows()

    @cached_property
    def title_terms(self) -> set[str]:
        return set(terms(self.doc.title).weights)

    def restates_title(self, statement: Statement) -> bool:
        """True when the statement only repeats the title ('Five Whys for: <title>'): naming the problem
        again does not explain it."""
        return shared_share(statement.terms, self.title_terms) >= RESTATED

    def withheld_in(self, group: str) -> list[str]:
        """The lines of ``group`` that state nothing: questions, hypotheses, lines marked unconfirmed."""
        return [line for where, line in self.withheld if where == group]

    @cached_property
    def subject_terms(self) -> set[str]:
        """The services the document lists (``Services: ...``). They say which systems were involved, not what
        went wrong in them, so naming them does not make an action address a cause. A labelled line that asks or
        says something is not established ('**Systemic cause:** not established by the data. Ask: ...') names no
        system: its words are the open question's, and must not take the stated cause's words from the actions."""
        named = [v for k, v in self.doc.facts.items() if _SUBJECT_KEY_RE.search(k) and not is_open(v)]
        return set(terms(" ".join(named)).weights)

    @cached_property
    def actions(self) -> list[Action]:
        """The action items that state something (no questions, nothing marked unconfirmed), each with its aim:
        the weight of the terms it shares with the stated causes (the listed services left out; words every
        postmortem uses count a quarter), and the share of its own weight that is, each scaled to 0-1 and
        multiplied. A done action that only repeats a timeline entry counts ECHO_WEIGHT of that."""
        causes = self.cause_vocabulary
        found = []
        for entry in self.doc.action_items():
            if is_open(entry.text):
                continue
            own = terms(without_quotes(entry.text))
            shared = sum(
                w * causes[t] * (SUBJECT_SHARE if t in self.subject_terms else 1.0)
                for t, w in own.weights.items()
                if t in causes
            )
            share = shared / (own.total_weight() or 1.0)
            aim = min(1.0, shared / ALIGN_FULL) * min(1.0, share / ALIGN_SHARE)
            found.append(Action(entry, aim * ECHO_WEIGHT if entry.status == "done" and self.echoes_a_row(own) else aim))
        return found

    def echoes_a_row(self, part: Terms) -> bool:
        """True when one timeline entry already holds ECHO of ``part``'s specific weight. A step done during the
        incident and listed again as a done action restates the record of events, as a cause or lesson that echoes
        it does: it counts ECHO_WEIGHT toward the causes. (When an entry without its heaviest term cannot reach ECHO,
        only entries holding that term are compared, so a long timeline is not read in full once per action.)"""
        if not part.specific:
            return False
        heaviest = max(part.specific, key=part.specific.__getitem__)
        needed = part.specific[heaviest] > (1 - ECHO) * part.specific_weight()
        return any(shared_share(part, row) >= ECHO for row in self.rows if not needed or heaviest in row)

    @cached_property
    def cause_vocabulary(self) -> dict[str, float]:
        """The terms of the causes the document states, each with the weight of its best statement.

        Causes are the coherent statements of the cause sections, the summary's statements, and the
        causal sentences ('because', 'due to', 'caused') of the timeline, impact and response.
        """
        vocab: dict[str, float] = {}
        for s in self.statements:
            if s.group == "causes" or s.field == "what_went_wrong":
                weight = s.weight
            elif s.group == ACCOUNT and (s.field in (None, "summary") or s.causal):
                weight = 1.0
            else:
                continue
            for term in s.terms.weights:
                vocab[term] = max(vocab.get(term, 0.0), weight)
        return vocab


def read(doc: MarkdownPostmortem) -> Reading:
    """Read ``doc`` for substance: statements with their coherence, and the vocabulary of each group."""
    reading = Reading(doc=doc)
    raw: list[Statement] = []
    reading.group_terms = {ACCOUNT: set(reading.title_terms)}
    withheld_sections = _withheld_sections(doc.sections)
    for index, section in enumerate(doc.sections):
        for unit, section_field in _units(section):
            group = GROUPS.get(section_field or "", ACCOUNT)
            marked = index in withheld_sections or bool(UNCONFIRMED_RE.search(unit))
            sentences = _sentences(without_quotes(unit))
            cites = citing(unit) if group == "lessons" else None
            opens = [is_open(s) for s in sentences]
            answered = not marked and not opens[-1] if sentences else False
            for sentence, open_ in zip(sentences, opens, strict=False):
                if marked or open_:
                    # 'Why did X? Because Y.' is answered; 'What led to X? The data does not say.' is one open item
                    if not (answered and is_question(sentence)) and (marked or not _remark(sentence)):
                        reading.withheld.append((group, sentence))
                    continue
                own_group = ACCOUNT if group == "causes" and _NOT_THE_CAUSE_RE.search(sentence) else group
                reading.stated.append((own_group, sentence))
                statement = _statement(sentence, section_field, index, own_group, cites)
                if section_field == "timeline":
                    reading.rows.append(set(statement.terms.specific))
                if own_group != ACCOUNT and reading.restates_title(statement):
                    continue
                if statement.terms.specific_weight() >= MIN_SPECIFIC:
                    raw.append(statement)
                    reading.group_terms.setdefault(own_group, set()).update(statement.terms.weights)
                elif statement.terms.specific and section_field:
                    reading.mentions.setdefault(section_field, []).append(statement.text)

    reading.statements = _with_coherence(raw, reading)
    return reading


def _with_coherence(raw: list[Statement], reading: Reading) -> list[Statement]:
    """Each statement with its coherence: the share of its specific weight the account (title, summary, timeline,
    impact, response) also names. The analysis is measured against what happened, not against itself, so a template
    repeated from one analysis section to the next does not make itself coherent. (An account statement's own terms
    are part of the account, so it is always coherent.)"""
    account = reading.group_terms.get(ACCOUNT, set())
    timeline = set().union(*reading.rows)
    done = []
    for s in raw:
        joined = False
        if s.group == "causes" or s.summary_cause:
            echo = echo_of(s, timeline)
        elif s.group == "lessons":  # a lesson echoes when it repeats one entry: it may connect facts the timeline names
            echo = max((shared_share(s.terms, row) for row in reading.rows), default=0.0)
            joined = only_joins(s, reading.rows)
        else:
            echo = 0.0
        if s.group == ACCOUNT:  # its terms are in the account: all of its specific weight is shared
            coherence, shared = 1.0, s.terms.specific_weight()
        else:
            coherence, shared = shared_share(s.terms, account), shared_weight(s.terms, account)
        done.append(
            Statement(s.text, s.field, s.group, s.section, s.terms, s.causal, coherence, shared, echo, s.cites, joined)
        )
    return done


def only_joins(statement: Statement, rows: list[set[str]]) -> bool:
    """True when a lesson only quotes timeline entries one after another: each part before a citation repeats one
    entry, and those entries together hold ECHO of the whole lesson (its lead-ins add next to nothing of their own:
    "Rebuilds on the query nodes slow search for everyone: <entry>; <entry>" says more than its entries do)."""
    cites = statement.cites
    if cites is None or not cites.parts or not rows:
        return False
    quoted: set[str] = set()
    for part in cites.parts:
        row = max(rows, key=lambda r: shared_weight(part, r))
        if shared_share(part, row) < ECHO:
            return False
        quoted |= row
    return shared_share(cites.whole, quoted) >= ECHO


def citing(unit: str) -> Citing | None:
    """The line read as citing events, when it cites two or more (a line of the lessons is read whole: its sentences
    are judged together)."""
    pieces = _EVIDENCE_RE.split(unit)
    if len(pieces) < 3:  # one citation or none
        return None
    parts = (terms(piece.rpartition(": ")[2]) for piece in pieces)
    return Citing(terms(without_quotes(unit)), tuple(part for part in parts if part.specific))


def echo_of(statement: Statement, timeline: set[str]) -> float:
    """How far a statement only repeats the timeline: the share of its specific weight the timeline's entries already
    hold, read after a short lead-in label ('Found: ...', 'Contributing factor: ...'). An explanation adds what the
    record of events does not say (the provider upgrade, the function missing from old versions); a restatement
    of events adds nothing, however it links them."""
    label, sep, rest = statement.text.partition(": ")
    body = terms(rest) if sep and len(label.split()) <= LABEL_WORDS and rest.strip() else statement.terms
    return shared_share(body, timeline)


def is_question(sentence: str) -> bool:
    """A sentence that asks rather than states: it ends with '?', or opens like a question and holds one."""
    text = sentence.strip().rstrip(".*_)\"' ").strip()
    return text.endswith("?") or ("?" in text and bool(_QUESTION_START_RE.match(text)))


def without_quotes(text: str) -> str:
    """``text`` with quoted evidence (quotations of four words or more, evidence notes) cut out."""
    text = _EVIDENCE_RE.sub(" ", text)
    return _QUOTE_RE.sub(lambda m: m.group(0) if len(m.group(0).split()) < QUOTE_WORDS else " ", text)


def stated_lines(text: str) -> str:
    """The lines of ``text`` that state something: a line marked as not known states nothing, and a line's questions
    are left out of it ('We held the review on 6 June. Who else should read it?' keeps its first sentence)."""
    kept = []
    for line in text.split("\n"):
        line = line.strip().lstrip("-*+ ")
        if line and not UNCONFIRMED_RE.search(line):
            kept.append(" ".join(s for s in _sentences(line) if not is_open(s)))
    return "\n".join(line for line in kept if line)


def is_open(sentence: str) -> bool:
    """A question, a line marked as not yet known, or one saying what the data does not say or what to ask: it states
    nothing."""
    text = _LEADING_LABEL_RE.sub("", sentence.strip())
    return bool(text) and (is_question(text) or bool(UNCONFIRMED_RE.search(text)) or bool(_UNSAID_RE.search(text)))


def _remark(sentence: str) -> bool:
    """A sentence that only says the data leaves something open and names nothing ('The data does not say.'): a
    remark on the question beside it, not an open item of its own."""
    return bool(_UNSAID_RE.search(sentence)) and not terms(sentence).specific


def _statement(sentence: str, field: str | None, index: int, group: str, cites: Citing | None = None) -> Statement:
    text = _LEADING_LABEL_RE.sub("", sentence.strip()).strip()
    return Statement(text, field, group, index, terms(text), bool(CAUSAL_RE.search(sentence)), cites=cites)


def _withheld_sections(sections: list[Section]) -> set[int]:
    """Sections whose heading, or a parent heading, marks them unconfirmed: 'Root cause (to be confirmed)'."""
    withheld: set[int] = set()
    parents: list[tuple[int, bool]] = []
    for index, section in enumerate(sections):
        while parents and parents[-1][0] >= section.level:
            parents.pop()
        marked = bool(UNCONFIRMED_RE.search(section.title)) or any(m for _, m in parents)
        if marked:
            withheld.add(index)
        parents.append((section.level, marked))
    return withheld


def _units(section: Section) -> list[tuple[str, str | None]]:
    """The section's list items, table rows and paragraph lines in plain text, each with its field.

    In a section no heading maps (a metadata table, 'Stats'), a labelled line or a two-column row
    whose label names a field (``| Root causes | ... |``, ``**Impact:** ...``) belongs to that field,
    as in the table at the top of a Google SRE style postmortem.
    """
    units: list[tuple[str, str | None]] = []
    for part in section.parts():
        if isinstance(part, Table):
            for row in part.rows:
                cells = [c for c in row if c]
                units.append(
                    _labelled(cells[0], cells[1])
                    if section.canonical is None and len(cells) == 2
                    else (" | ".join(cells), section.canonical)
                )
        else:
            text = plain(part)
            label, sep, value = text.partition(":")
            labelled = section.canonical is None and sep and len(label.split()) <= 4 and value.strip()
            units.append(_labelled(label, value) if labelled else (text, section.canonical))
    return units


def _labelled(label: str, value: str) -> tuple[str, str | None]:
    field = canonical_field(label)
    return (value.strip(), field) if field else (f"{label}: {value.strip()}", None)


def _sentences(unit: str) -> list[str]:
    if not ("." in unit or "!" in unit or "?" in unit):  # a sentence ends with one: a row without them is one
        return [unit] if unit.strip() else []
    return [s for s in _SENTENCE_RE.split(unit) if s.strip()]
