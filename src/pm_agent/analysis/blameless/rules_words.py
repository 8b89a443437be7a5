"""Blame carried by single words and stock phrases: judgements of character ("careless"),
"human error" as a cause, and hindsight words ("obviously", "just", "simply") aimed at a person.

Hindsight words count only where they judge a person's action or what someone should have seen:
"Obviously, the on-call should have..." or "she just ignored..." is blame; "just after 09:00",
"the retry policy simply doubles the delay" and "we simply lacked an alert" are not (the last
names a gap in the system, not a person's lapse).
"""

from __future__ import annotations

import re

from pm_agent.analysis.blameless.clauses import (
    PARTICLE,
    REST,
    Guarded,
    Hit,
    by_person_end,
    judged_people_verb,
    negated_action,
    noun_then_by_person_end,
    passive,
    role_hit,
    strip_particle,
    system_action,
)
from pm_agent.analysis.blameless.grammar import base_to_participle, past_to_participle
from pm_agent.analysis.blameless.lexicon import (
    AGENT,
    AGENT_TAIL,
    JUDGEMENT_ADJECTIVES,
    JUDGEMENT_ADVERBS,
    JUDGEMENT_NOUNS,
    NOBODY,
    POSSESSOR,
    ROLE_NOUNS,
    ROLE_RE,
    TECHNICAL_COLLOCATIONS,
)

# --- character judgements -------------------------------------------------------------------------

_ADJ = "|".join(JUDGEMENT_ADJECTIVES)
_ADVERB_WORD = Guarded(
    r"carelessly|negligently|sloppily|lazily|recklessly|irresponsibly|stupidly|thoughtlessly|incompetently|cluelessly",
    rf"\b(?P<w>(?i:{'|'.join(JUDGEMENT_ADVERBS)}))\b(?P<comma>,)?\s*",
)
_NOUN_PHRASE = Guarded(
    r"carelessness|negligence|sloppiness|laziness|incompetence|recklessness|complacency|stupidity|irresponsibility",
    rf"(?:(?P<poss>{POSSESSOR})\s+|\b(?:[Tt]he|[Hh]is|[Hh]er)\s+)?(?P<w>(?i:{'|'.join(JUDGEMENT_NOUNS)}))\b"
    rf"(?:\s+of\s+(?P<agent>{AGENT}))?",
)
_MISTAKE = Guarded(  # set off by the judgement ("careless"), which every match holds, not by "error" alone
    _ADJ,
    rf"\b(?:[Aa]n?\s+)?(?P<w>(?i:{_ADJ}))\s+(?:mistake|error|oversight|slip|blunder)s?\b",
)
_PREDICATE = Guarded(
    r"careless|negligent|sloppy|incompetent|lazy|reckless|irresponsible|clueless|stupid|idiotic|inattentive|thoughtless|complacent|half-assed|shoddy|amateurish|boneheaded|cowboy|rookie|dumb|idiot*|amateur*",
    rf"(?P<agent>{AGENT}|\b[Ww]hoever(?:\s+[\w`'.-]+){{1,6}}?){AGENT_TAIL}\s+(?P<be>was|is|were|are|had\s+been"
    r"|has\s+been|had\s+grown|has\s+grown|grew|got|became|seemed|acted|being)\s+(?:(?:so|very|extremely|incredibly"
    r"|pretty|quite|really|a\s+bit|too|simply|just|totally|completely|utterly)\s+)?(?:an?\s+)?"
    rf"(?P<w>(?i:{_ADJ})|idiots?|amateurs?)\b(?P<and>\s+and\s+(?=\w))?{REST}",
)
_ANY_JUDGEMENT = re.compile(rf"\b(?P<w>(?i:{_ADJ}))\b")
_ROLE_AFTER = re.compile(rf"\s+(?:[\w-]+\s+){{0,2}}?(?:{'|'.join(ROLE_NOUNS)})\b")
_NO_SAFEGUARD = "the process offered no safeguard"


def character_hits(sentence: str) -> list[Hit]:
    """Judgements of a person's character, or of their work as a stand-in for them."""
    hits: list[Hit] = []
    for rule in (_judgement_phrase_hits, _predicate_hits, _adverb_hits, _word_hits):
        hits += [h for h in rule(sentence) if not _covered(h, hits)]
    return hits


def _covered(hit: Hit, hits: list[Hit]) -> bool:
    return any(h.category == hit.category and h.start <= hit.start and hit.end <= h.end for h in hits)


def _judgement(start: int, end: int, edit: tuple[int, int, str]) -> Hit:
    return Hit("character_judgement", start, end, edit)


def _judgement_phrase_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _NOUN_PHRASE.finditer(sentence):
        hits.append(_judgement(m.start("w"), m.end("w"), (m.start(), m.end(), "gaps in the process")))
        hits += role_hit(m, "poss") + role_hit(m)
    for m in _MISTAKE.finditer(sentence):
        end = by_person_end(sentence, m.end()) or m.end()
        hits.append(_judgement(m.start("w"), m.end(), (m.start(), end, "an unguarded step")))
    return hits


def _predicate_hits(sentence: str) -> list[Hit]:
    """ "the contractor was incompetent and ..." keeps the action; "the sysadmin was sloppy" becomes a gap."""
    hits: list[Hit] = []
    for m in _PREDICATE.finditer(sentence):
        if m["and"]:
            edit = (m.start("be"), m.end("and"), "")
        else:
            tail = re.sub(r"^\s+(?:with|about|around)\b", " for", m["rest"])
            edit = (m.start("agent"), m.end("rest"), _NO_SAFEGUARD + tail)
        hits += [_judgement(m.start("w"), m.end("w"), edit), *role_hit(m)]
    return hits


def _adverb_hits(sentence: str) -> list[Hit]:
    return [_judgement(m.start("w"), m.end("w"), (m.start(), m.end(), "")) for m in _ADVERB_WORD.finditer(sentence)]


def _word_hits(sentence: str) -> list[Hit]:
    """Any judgement word left: dropped before a person, softened to a fact before a thing."""
    words = list(_ANY_JUDGEMENT.finditer(sentence))
    technical = [m.span() for m in TECHNICAL_COLLOCATIONS.finditer(sentence)] if words else []
    hits: list[Hit] = []
    for m in words:
        if any(start <= m.start() < end for start, end in technical):
            continue
        before_person = _ROLE_AFTER.match(sentence, m.end())
        if before_person:
            role = _role_around(sentence, m.start(), before_person.end())
            by = re.search(r"\s+by\s+$", sentence[: role[0].start]) if role else None
            edit = (by.start(), before_person.end(), "") if by else (m.start(), m.end() + 1, "")
            hits += [_judgement(m.start(), m.end(), edit), *role]
        elif (be := judged_people_verb(sentence, m.start())) is not None:
            # "support agents were lazy and closed 120 tickets" keeps what they did; alone, it is flagged
            conjunction = re.match(r"\s+and\s+", sentence[m.end() :])
            edit = (be, m.end() + conjunction.end(), "") if conjunction else None
            hits.append(Hit("character_judgement", m.start(), m.end(), edit))
        else:
            word = (
                "unguarded" if m["w"].lower() in {"reckless", "cowboy", "negligent", "irresponsible"} else "incomplete"
            )
            pointed = noun_then_by_person_end(sentence, m.end())
            if pointed:  # "sloppy review by the platform team": the judgement and the pointing go
                edit = (m.start(), pointed[1], word + sentence[m.end() : pointed[0]])
            else:
                edit = (m.start(), m.end(), word)
            hits.append(_judgement(m.start(), m.end(), edit))
    return hits


def _role_around(sentence: str, adjective_start: int, role_end: int) -> list[Hit]:
    """The role phrase ("A careless engineer") that a judgement adjective sits in, as a role hit."""
    determiner = re.search(r"\b(?:[Tt]he|[Aa]n?|[Oo]ur|[Tt]hat|[Tt]his)\s+$", sentence[:adjective_start])
    if not determiner:
        return []
    start = determiner.start()
    if ROLE_RE.fullmatch(sentence[start:role_end]):
        return [Hit("role_blame", start, role_end)]
    return []


# --- "human error" -------------------------------------------------------------------------------

_TERM = (
    r"(?:(?i:human|operator|manual)\s+(?:error|mistake|failure)s?|PEBKAC|PEBCAK|PICNIC|ID10T(?:\s+error)?"
    r"|(?i:layer[- ]8)\s+(?:problem|issue|error)|(?i:user\s+error))"
)
# Every _TERM holds one of these words ("human error", "layer 8 problem", "PEBKAC"): "errors continue" sets off nothing.
_TERM_NEEDS = "human|operator|manual|user|pebkac|pebcak|picnic|id10t*|layer"
_WHOLE_CLAUSE = Guarded(
    _TERM_NEEDS,
    rf"^(?P<lead>\s*)(?:This|It|That)\s+(?:was|is)\s+(?:(?:just|simply|pure|plain|classic|a\s+case\s+of|an?)\s+)*"
    rf"(?P<term>{_TERM})(?=[.!?]*\s*$)",
)
_IN_SENTENCE = Guarded(
    _TERM_NEEDS,
    rf"(?:\b(?:[Aa]n?|[Pp]ure|[Pp]lain|[Ss]imple|[Cc]lassic|[Tt]ypical)\s+)*(?P<term>{_TERM})\b",
)
_META_BEFORE = re.compile(
    r"(?i)(?:\bnot|\bno|\bnever|\brather\s+than|\binstead\s+of|\bbeyond|\bavoid|\bblaming|\bcalling\s+it"
    r"|\bterm|\blabel|['\"“‘])\s*(?:\w+\s+)?$"
)
_META_AFTER = re.compile(
    r"(?i)^['\"”’]?\s*(?:(?:is|was|are|were)(?:n['’]t|\s+not|\s+never)\b|(?:is|are)\s+(?:only\s+|just\s+)?(?:a\s+|the\s+)?"
    r"(?:symptom|label|starting\s+point|consequence|result|sign|rarely|seldom)\b)"
)
_USER_ERROR_FRAMED = re.compile(r"(?i)(?:\b(?:was|is|to|by|of|under)\s+|:\s*)$")
_FAT_FINGER = re.compile(r"(?i)\bfat[- ]?finger(?P<suffix>ed|ing|s)?\b")
_FAT_FINGERED_BY = Guarded(r"fat*", rf"(?P<agent>{AGENT}){AGENT_TAIL}\s+(?P<w>(?i:fat[- ]?fingered))\b{PARTICLE}{REST}")
# What _ANY_JUDGEMENT and _FAT_FINGER, the rules' only patterns not behind a Guarded, cannot match
# without (lower-case, as plain text): blameless skips a sentence that has none of these words and
# no guarded trigger word. A new unguarded pattern must add its words here.
UNGUARDED_NEEDS = (*JUDGEMENT_ADJECTIVES, "fat")


def human_error_hits(sentence: str) -> list[Hit]:
    """ "human error", "operator error", "PEBKAC", "fat-fingered" named as a cause."""
    hits: list[Hit] = []
    whole = _WHOLE_CLAUSE.match(sentence)
    if whole and not _is_meta(sentence, whole.start("term"), whole.end("term")):
        edit = (len(whole["lead"]), whole.end(), "the process allowed this action without a safeguard")
        hits.append(Hit("human_error", whole.start("term"), whole.end("term"), edit))
    for m in _IN_SENTENCE.finditer(sentence):
        if whole or _is_meta(sentence, m.start("term"), m.end("term")):
            continue
        if m["term"].lower() == "user error" and not _USER_ERROR_FRAMED.search(sentence[: m.start("term")]):
            continue
        text = "due to an unguarded step" if re.search(r"\d%\s+$", sentence[: m.start()]) else "an unguarded step"
        hits.append(Hit("human_error", m.start("term"), m.end("term"), (m.start(), m.end(), text)))
    for m in _FAT_FINGERED_BY.finditer(sentence):  # "Ben fat-fingered the TTL" -> "the TTL was mistyped"
        clause = system_action("mistyped", strip_particle(m["particle"]), m["rest"])
        if clause:
            edit = (m.start("agent"), m.end("rest"), clause)
            hits += [Hit("human_error", m.start("w"), m.end("w"), edit), *role_hit(m)]
    # A "fat-fingered" with an agent is also found here, on the same span: blameless keeps one hit
    # per category and span, the first one, which is the agent's above.
    for m in _FAT_FINGER.finditer(sentence):
        word = {"ed": "mistyped", "ing": "mistyping", "s": "mistypes"}.get((m["suffix"] or "").lower(), "mistype")
        hits.append(Hit("human_error", m.start(), m.end(), (m.start(), m.end(), word)))
    return hits


def _is_meta(sentence: str, start: int, end: int) -> bool:
    """True when the text argues against the label ("human error is not a root cause")."""
    return bool(_META_BEFORE.search(sentence[:start]) or _META_AFTER.match(sentence[end:]))


# --- hindsight -------------------------------------------------------------------------------------

_PERSON = rf"(?:{AGENT}|{NOBODY}|\b[Ww]hoever(?:\s+[\w`'#.-]+){{1,8}}?)"
# What a person "clearly didn't" do, retold without them: "the diff was not read".
_OPENING = Guarded(
    r"obviously|clearly|course|evidently|naturally|predictably",
    rf"^(?P<lead>\s*)(?P<w>[Oo]bviously|[Cc]learly|[Oo]f\s+course|[Ee]vidently|[Nn]aturally|[Pp]redictably)"
    rf"(?:,)?\s+(?=(?P<agent>{_PERSON}){AGENT_TAIL}\s)",
)
_AFTER_PERSON = Guarded(
    r"clearly|obviously|evidently",
    rf"(?P<agent>{_PERSON}){AGENT_TAIL}\s+(?:(?:could|should|would|might)(?:\s+have|['’]ve)?\s+)?"
    r"(?P<w>clearly|obviously|evidently)\b\s?",
)
_JUST_BLAME_VERBS = (
    r"skipped|ignored|forgot|neglected|assumed|guessed|bypassed|overrode|overlooked|decided|chose|didn['’]t"
    r"|did\s+not|never|refused|yolo['’]?e?d|winged|clicked\s+through|force-pushed|pushed\s+to\s+(?:main|master|prod)"
)
_JUST_AFTER_PERSON = Guarded(
    r"just|simply",
    rf"(?P<agent>{AGENT}){AGENT_TAIL}\s+(?:(?:could|should|would|might)(?:\s+have|['’]ve)?\s+(?P<w1>just|simply)\b"
    rf"|(?P<w2>just|simply)\s+(?={_JUST_BLAME_VERBS}))\s?",
)
_IF_JUST = Guarded(r"if", rf"\b[Ii]f\s+(?P<agent>{AGENT}){AGENT_TAIL}\s+had\s+(?P<w>just|only|simply)\s")
_SHOULD_BE_OBVIOUS = Guarded(
    r"obvious|clear|evident",
    r"\b(?:[Ii]t|[Tt]his|[Tt]hat)\s+should(?:\s+have|['’]ve)\s+been\s+(?:so\s+|very\s+|painfully\s+|blindingly\s+)?"
    r"(?P<w>obvious|clear|evident)(?:\s+to\s+[^,;]*?(?=\s+that\b|[,;.!?]|$))?(?P<that>\s+that\b)?",
)
_OBVIOUS_TO = Guarded(
    r"obvious|clear|evident",
    r"\b[Ii]t\s+(?:was|is)\s+(?:so\s+|very\s+)?(?P<w>obvious|clear|evident)\s+to\s+[^,;]*?\bthat\s+",
)
_ALL_HAD_TO = Guarded(
    r"all", rf"\b[Aa]ll\s+(?P<agent>{AGENT})\s+(?:had|needed|has|needs)\s+to\s+do\s+(?:was|is)\s+(?:to\s+)?{REST}"
)
_ANYONE_COULD = Guarded(
    r"any|anyone|anybody|everyone|competent|careful|good|decent|reasonable|experienced|senior",
    rf"\b(?P<w>[Aa]ny(?:one|body)|[Ee]veryone|[Aa]ny\s+(?:[\w-]+\s+){{0,2}}?(?:{'|'.join(ROLE_NOUNS)})"
    rf"|[Aa]\s+(?:competent|careful|good|decent|reasonable|experienced|senior)\s+(?:{'|'.join(ROLE_NOUNS)}))"
    r"\s+(?:could|would|should)(?:\s+have|['’]ve)\s+(?:easily\s+)?(?P<verb>seen|spotted|noticed|caught|predicted|known"
    rf"|foreseen|avoided|prevented){REST}",
)
_EASILY_AVOIDED = Guarded(
    r"easily|trivially",
    r"\b(?:could|would)\s+(?:(?P<w1>easily|trivially)\s+)?have\s+(?:(?P<w2>easily|trivially)\s+)?been\s+"
    r"(?:(?P<w3>easily|trivially)\s+)?(?:avoided|prevented|caught|spotted)",
)


def hindsight_hits(sentence: str) -> list[Hit]:
    """Words that make the outcome look obvious, aimed at the people who were in the situation."""
    hits: list[Hit] = []
    for rule in (_word_after_person_hits, _phrase_hits, _anyone_hits, _easily_hits):
        hits += rule(sentence)
    return hits


def _hindsight(match: re.Match[str], group: str, edit: tuple[int, int, str]) -> Hit:
    return Hit("hindsight", match.start(group), match.end(group), edit)


def _word_after_person_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    opening = _OPENING.match(sentence)
    if opening:
        edit = _not_done(sentence, opening.start("w"), opening.end("agent"))
        edit = edit or (opening.start("w"), opening.start("agent"), "")
        hits += [_hindsight(opening, "w", edit), *role_hit(opening)]
    for rule in (_AFTER_PERSON, _JUST_AFTER_PERSON, _IF_JUST):
        for m in rule.finditer(sentence):
            group = next(g for g in ("w", "w1", "w2") if g in rule.groupindex and m[g])
            edit = _not_done(sentence, m.start("agent"), m.end()) or (m.start(group), m.end(), "")
            hits += [_hindsight(m, group, edit), *role_hit(m)]
    return hits


def _not_done(sentence: str, start: int, position: int) -> tuple[int, int, str] | None:
    """ "Tariq clearly didn't test the rollback path" -> "the rollback path was not tested": the
    edit from ``start`` when a negated action follows ``position`` and has an object to lead."""
    m = negated_action(sentence, position)
    if not m:
        return None
    participle = base_to_participle(m["base"]) if m["base"] else past_to_participle(m["past"])
    clause = passive(participle, strip_particle(m["particle"]), m["rest"])
    return (start, m.end("rest"), clause) if clause else None


def _phrase_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _SHOULD_BE_OBVIOUS.finditer(sentence):
        text = "the tooling did not make it visible that" if m["that"] else "the risk was not visible at the time"
        hits.append(_hindsight(m, "w", (m.start(), m.end(), text)))
    for m in _OBVIOUS_TO.finditer(sentence):
        hits.append(_hindsight(m, "w", (m.start(), m.end(), "in hindsight, ")))
    for m in _ALL_HAD_TO.finditer(sentence):
        edit = (m.start(), m.end("rest"), f"the process did not prompt anyone to {m['rest'].strip()}")
        hits += [Hit("hindsight", m.start(), m.end("agent") + 1, edit), *role_hit(m)]
    return hits


def _anyone_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _ANYONE_COULD.finditer(sentence):
        if m["verb"] in {"avoided", "prevented"}:
            text = f"no safeguard prevented {m['rest'].strip()}"
        else:
            text = f"nothing in the tooling showed {m['rest'].strip()}"
        hits.append(Hit("hindsight", m.start("w"), m.end("verb"), (m.start(), m.end("rest"), text)))
    return hits


def _easily_hits(sentence: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _EASILY_AVOIDED.finditer(sentence):
        group = next((g for g in ("w1", "w2", "w3") if m[g]), None)
        if group is None:
            continue
        hits.append(_hindsight(m, group, (m.start(group), m.end(group) + 1, "")))
    return hits
