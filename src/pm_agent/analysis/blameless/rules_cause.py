"""People as causes: "Bob's change caused", "caused by Alice", "Dave broke prod", "Bob pushed X,
which caused the outage", "the DBA is to blame", "it was Kevin's fault".

A named person doing a neutral action is not a cause ("Alice restarted the pod"); the rules need
a verb of harm, a causal preposition or a word of blame next to the person.
"""

from __future__ import annotations

import re

from pm_agent.analysis.blameless.clauses import (
    PARTICLE,
    REST,
    Guarded,
    Hit,
    clause_start,
    in_object_position,
    mentions_signal,
    names_a_lapse,
    no_response,
    role_hit,
    strip_particle,
    system_action,
)
from pm_agent.analysis.blameless.lexicon import (
    ADVERB,
    AGENT,
    AGENT_TAIL,
    HARM_VERBS,
    HARM_WORDS,
    NOBODY,
    POSSESSOR,
)

_WHO = rf"(?P<agent>{AGENT}|{NOBODY}){AGENT_TAIL}{ADVERB}"
_VERB = r"(?P<verb>[a-z][\w-]*)"

_POSSESSIVE_CAUSE = Guarded(
    r"caus*|trigger*|broke|down|knocked|led|resulted|introduc*|reintroduc*|crash*|corrupt*|wiped|erased|locked"
    r"|flood*|overload*|exhaust*|saturat*|leaked|exposed",
    rf"(?P<poss>{POSSESSOR})\s+(?P<np>(?:[^\s;]+\s+){{0,8}}?)(?:(?:is|was)\s+what\s+)?(?P<verb>{HARM_VERBS})\b",
)
_CAUSE_PREPOSITION = (
    r"(?:caused|triggered|introduced|started|broken|brought\s+down|taken\s+down)\s+by|due\s+to|because\s+of"
    r"|traces?\s+back\s+to|traced\s+back\s+to|comes?\s+down\s+to|came\s+down\s+to"
)
_POSSESSIVE_AFTER_CAUSE = Guarded(
    r"by|due|because|back|down|cause",
    rf"\b(?:{_CAUSE_PREPOSITION}|(?:root\s+)?cause\s+(?:was|is))\s+(?P<poss>{POSSESSOR})\s+(?P<np>[\w`-]+)",
)
_FAULT = Guarded(
    r"fault|mistake|error|blunder|screw*|oversight|doing",
    rf"(?P<lead>\b(?:was|is)\s+)?(?P<poss>{POSSESSOR})\s+(?P<np>fault|mistake|error|blunder|screw-?up|oversight|doing)\b",
)
_IT_WAS_FAULT = Guarded(
    r"fault",
    rf"^(?P<it>[Ii]t\s+(?:was|is)\s+(?P<poss>{POSSESSOR})\s+fault(?:\s+that)?)\s+(?P<rest>[^;]*?)(?=[.!?]*\s*$)",
)
_BY_PERSON = Guarded(
    r"by|due|because|back|down",
    rf"\b(?P<prep>{_CAUSE_PREPOSITION})\s+(?P<agent>{AGENT})(?!['’])"
    rf"(?P<tail>,?\s+who\s+[^,;]+?(?=[,;]|[.!?]*\s*$)|{AGENT_TAIL})",
)
_BY_PERSON_BEFORE_HARM = Guarded(r"by", rf"\s+by\s+(?P<agent>{AGENT})(?=\s+(?:{HARM_VERBS})\b)")
_BLAME_LIES = Guarded(
    r"blame",
    rf"\b[Bb]lame\s+(?:for\s+(?P<what>[^,;]+?)\s+)?(?:lies|rests|falls|goes|is)\s+(?:with|on)\s+"
    rf"(?P<agent>{AGENT})(?:,?\s+who\s+(?P<who>[^,;]+?))?(?=[,;]|[.!?]*\s*$)",
)
_BROKE = Guarded(
    r"broke|down|knocked|crashed|caused|blew|tanked|nuked",
    rf"{_WHO}\s+(?P<verb>broke|took\s+down|brought\s+down|knocked\s+(?:out|over)|crashed|caused"
    rf"|blew\s+up|tanked|nuked)\b{REST}",
)
_RESPONSIBLE = Guarded(
    r"blame|fault|responsible|cause",
    rf"{_WHO}\s+(?:is|was|were|are)\s+(?P<verb>to\s+blame|at\s+fault|responsible|the\s+(?:root\s+)?cause)"
    rf"(?:\s+for\s+(?P<what>[^;]*?))?(?P<rest>)(?=;|[.!?]*\s*$)",
)
_NOT_ACTIONS = r"(?!(?:failed|forgot|neglected|ignored|overlooked|bothered|omitted|disregarded|noticed)\b)"
_IRREGULAR_PAST = (
    "ran|took|wrote|set|put|cut|shut|sent|made|built|left|kept|spun|brought|gave|tore|threw|undid|did|chose|drove"
)
_PAST = rf"{_NOT_ACTIONS}(?P<verb>[a-z]+ed|{_IRREGULAR_PAST})"
_LINK = (
    r"(?P<link>,?\s+(?:which|and\s+(?:this|that|it)|and|that)\s+(?P<lv>caused|triggered|led\s+to|resulted\s+in"
    r"|(?:took|brought)\s+(?:[\w`.-]+\s+){0,3}?down|broke|knocked\s+(?:[\w`.-]+\s+){0,3}?out|wiped|erased|corrupted"
    r"|crashed|flooded|overloaded|exhausted)\b|,\s*(?P<li>causing|triggering|leading\s+to|resulting\s+in"
    r"|taking\s+down|bringing\s+down|breaking|knocking\s+out|filling|flooding|locking|corrupting|exhausting"
    r"|overloading|deleting|wiping)\b)"
)
_ACTION_THEN_HARM = Guarded(
    r"caus*|trigger*|led|resulted|resulting|down|broke|knocked|breaking|filling|flooding|locking|corrupting|exhausting"
    r"|overloading|deleting|wiping|wiped|erased|corrupted|crashed|flooded|overloaded|exhausted",
    rf"{_WHO}\s+{_PAST}{PARTICLE}(?P<rest>\s+[^;]*?){_LINK}(?P<after>[^;]*)",
)
_BECAUSE_ACTION = Guarded(r"because", rf"\b(?P<because>[Bb]ecause)\s+{_WHO}\s+{_PAST}{PARTICLE}(?P<rest>\s+[^,;]*)")
_SURE_HARM = re.compile(
    r"caused|took\s+(?:\S+\s+){0,3}?down|brought\s+(?:\S+\s+){0,3}?down|broke|wiped|erased|corrupted|knocked\s+out"
    r"|breaking|taking\s+down|causing|flooding|corrupting|exhausting|overloading|wiping"
    r"|filling\s+(?:up\s+)?(?:the\s+)?(?:\S+\s+){0,2}?(?:disks?|volumes?|memory|quota)\b"
)
_UNSTOPPED = "an action that no safeguard stopped"
# "the config was pushed by Bob at 14:02, taking down checkout": a person as the agent of a passive.
_PASSIVE_BY = Guarded(  # set off by what it needs besides "by": harm, or a signal left unheeded
    r"caus*|took|taking|brought|bringing|broke|breaking|knocked|wiped|wiping|erased|corrupt*|flood*|exhaust*"
    r"|overload*|filling|led|leading|resulted|resulting|ignored|overlooked|disregarded|missed|dismissed",
    rf"\b(?P<be>was|were|had\s+been|has\s+been|got)\s+(?:(?:then|also|accidentally|mistakenly|manually)\s+)?"
    rf"(?P<pp>[a-z]+ed|[a-z]+en|{_IRREGULAR_PAST}|run|done|made|set|put|cut|shut){PARTICLE}"
    rf"(?P<by>\s+by\s+(?P<agent>{AGENT}))\b(?!['’])",
)
_UNHEEDED = frozenset({"ignored", "overlooked", "disregarded", "missed", "dismissed"})
# A person who fixed something is never its cause: "restored by Maria, and the error rate fell".
_REMEDIES = frozenset(
    "restored fixed resolved mitigated recovered repaired reverted rolled patched rebuilt healed".split()
)
_LED_TO = r"\b(?:led\s+to|leading\s+to|resulted\s+in|resulting\s+in)\b"


def person_as_cause_hits(sentence: str) -> list[Hit]:
    """A person, or a person's change, named as what caused the harm."""
    hits: list[Hit] = []
    for rule in (
        _it_was_fault_hits, _fault_hits, _possessive_cause_hits, _by_person_hits, _blame_lies_hits,
        _broke_hits, _responsible_hits, _action_then_harm_hits, _because_action_hits, _passive_by_hits,
    ):  # fmt: skip
        hits += rule(sentence)
    return hits


def _it_was_fault_hits(sentence: str) -> list[Hit]:
    m = _IT_WAS_FAULT.match(sentence.strip())
    if not m:
        return []
    offset = len(sentence) - len(sentence.lstrip())
    replacement = f"{m['rest']} because of a gap in the process"
    edit = (offset + m.start("it"), offset + m.end("rest"), replacement)
    hit = Hit("person_as_cause", offset + m.start("poss"), offset + m.end("it"), edit)
    roles = [Hit(r.category, r.start + offset, r.end + offset) for r in role_hit(m, "poss")]
    return [hit, *roles]


def _fault_hits(sentence: str) -> list[Hit]:
    """ "was Sam's fault" -> "came from a gap in the process"; "Bob's mistake" -> "a gap in the process"."""
    hits: list[Hit] = []
    for m in _FAULT.finditer(sentence):
        if m["lead"]:
            edit = (m.start("lead"), m.end("np"), "came from a gap in the process")
        else:
            edit = (m.start("poss"), m.end("np"), "a gap in the process")
        hits += [Hit("person_as_cause", m.start("poss"), m.end("np"), edit), *role_hit(m, "poss")]
    return hits


def _possessive_cause_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _POSSESSIVE_CAUSE.finditer(sentence):
        hits += [Hit("person_as_cause", m.start("poss"), m.end("verb"), (m.start("poss"), m.end("poss"), "the"))]
        hits += role_hit(m, "poss")
    for m in _POSSESSIVE_AFTER_CAUSE.finditer(sentence):
        hits += [Hit("person_as_cause", m.start("poss"), m.end("np"), (m.start("poss"), m.end("poss"), "the"))]
        hits += role_hit(m, "poss")
    return hits


def _by_person_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _BY_PERSON.finditer(sentence):
        tail = m["tail"].strip(" ,")
        after = sentence[m.end() :]
        if re.match(r"\s+\w+ing\b", after):
            replacement = ""
        elif tail.startswith("who "):
            replacement = "the process that " + tail[4:]
        else:
            replacement = _UNSTOPPED + (", " + tail + "," if tail else "")
        edit = (m.start("agent"), m.end("tail"), replacement)
        hits += [Hit("person_as_cause", m.start("prep"), m.end("agent"), edit), *role_hit(m)]
    for m in _BY_PERSON_BEFORE_HARM.finditer(sentence):
        hits += [Hit("person_as_cause", m.start("agent"), m.end("agent"), (m.start(), m.end(), "")), *role_hit(m)]
    return hits


def _blame_lies_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _BLAME_LIES.finditer(sentence):
        causes = f"the causes of {m['what']} lie" if m["what"] else "the causes lie"
        process = f"the process that {m['who']}" if m["who"] else "the process"
        edit = (m.start(), m.end(), f"{causes} in {process}")
        hits += [Hit("person_as_cause", m.start(), m.end("agent"), edit), *role_hit(m)]
    return hits


def _broke_hits(sentence: str) -> list[Hit]:
    """ "Dave broke prod with a bad migration" -> "A bad migration broke prod"."""
    hits: list[Hit] = []
    for m in _BROKE.finditer(sentence):
        if re.fullmatch(NOBODY, m["agent"]) or in_object_position(sentence, m.start("agent")):
            continue
        verb, rest = m["verb"], m["rest"]
        instrument = re.search(r"\s(?:by\s+(?=\w+ing\b)|with\s+)(?P<what>.+)$", rest, re.S)
        if instrument:
            replacement = f"{instrument['what']} {verb}{rest[: instrument.start()]}"
        else:
            replacement = f"{_UNSTOPPED} {verb}{rest}"
        edit = (m.start("agent"), m.end("rest"), replacement)
        hits += [Hit("person_as_cause", m.start("agent"), m.end("verb"), edit), *role_hit(m)]
    return hits


def _responsible_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _RESPONSIBLE.finditer(sentence):
        if re.fullmatch(NOBODY, m["agent"]):
            continue  # "nobody was responsible for testing it" is a finding about ownership
        what = (m["what"] or "").strip()
        if m["verb"] == "responsible" and not (HARM_WORDS.search(what) or re.match(r"\w+ing\b", what)):
            continue
        if re.match(r"\w+ing\b", what):
            replacement = f"the process did not prevent {what}"
        elif what:
            replacement = f"{what} came from gaps in the process"
        else:
            replacement = "the process had gaps"
        edit = (m.start("agent"), m.end("rest"), replacement)
        hits += [Hit("person_as_cause", m.start("agent"), m.end("verb"), edit), *role_hit(m)]
    return hits


def _action_then_harm_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _ACTION_THEN_HARM.finditer(sentence):
        if re.fullmatch(NOBODY, m["agent"]) or in_object_position(sentence, m.start("agent")):
            continue
        if not _is_harm(m["link"], m["after"]):
            continue
        replacement = _retold(m)
        edit = (m.start("agent"), m.end("rest"), replacement) if replacement else None
        hits += [Hit("person_as_cause", m.start("agent"), m.end("link"), edit), *role_hit(m)]
    return hits


def _is_harm(link: str, after: str) -> bool:
    return bool(_SURE_HARM.search(link + after[:60]) or HARM_WORDS.search(after))


def _because_action_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _BECAUSE_ACTION.finditer(sentence):
        elsewhere = sentence[: m.start()] + sentence[m.end() :]
        if re.fullmatch(NOBODY, m["agent"]) or not HARM_WORDS.search(elsewhere):
            continue
        if m["verb"] == "made" and names_a_lapse(m["rest"]):
            continue  # "because Anna made an error in ...": the idioms rule retells it
        replacement = _retold(m)
        edit = (m.start("agent"), m.end("rest"), replacement) if replacement else None
        hits += [Hit("person_as_cause", m.start("because"), m.end("verb"), edit), *role_hit(m)]
    return hits


def _passive_by_hits(sentence: str) -> list[Hit]:
    """ "X was wiped by Gary, which caused ..." -> "X was wiped, which caused ..." (when the sentence
    reports harm); "the alert was ignored by the on-call" -> "the alert did not lead to a response"."""
    hits: list[Hit] = []
    for m in _PASSIVE_BY.finditer(sentence):
        start = clause_start(sentence, m.start("be"))
        subject = sentence[start : m.start("be")].strip()
        if re.match(r"(?i)(?:mistakes|errors|an?\s+(?:mistake|error))\b", subject):
            continue  # "mistakes were made by" belongs to the idioms
        if m["pp"] in _UNHEEDED and subject:
            replacement = no_response(" " + subject) if mentions_signal(subject) else f"{subject} went unnoticed"
            edit = (sentence.index(subject, start), m.end("by"), replacement)
            hits += [Hit("counterfactual", m.start("be"), m.end("agent"), edit), *role_hit(m)]
            continue
        elsewhere = sentence[: m.start("pp")] + sentence[m.end("by") :]
        if m["pp"] in _REMEDIES or not _reports_harm(elsewhere):
            continue
        edit = (m.start("by"), m.end("by"), "")
        hits += [Hit("person_as_cause", m.start("by") + 1, m.end("agent"), edit), *role_hit(m)]
    return hits


def _retold(m: re.Match[str]) -> str | None:
    """The person's action with the thing acted on as subject; None for "made a bad call" (retold
    as "a bad call was made", the judgement would stay)."""
    if names_a_lapse(m["rest"]):
        return None
    return system_action(m["verb"], strip_particle(m["particle"]), m["rest"])


def _reports_harm(text: str) -> bool:
    """ "..., which caused 6 hours of downtime", "..., taking down checkout", "... led to failed logins"."""
    return bool(_SURE_HARM.search(text) or (re.search(_LED_TO, text) and HARM_WORDS.search(text)))
