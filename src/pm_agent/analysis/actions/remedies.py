"""What a stated gap asks for, in the data's own words: "no alert on renewal failures" -> "Add an alert on
renewal failures".

A gap is a safeguard the data says was missing ("no rate limit on X", "the pipeline validates A but not B",
"unit tests only cover EUR and USD", "the ignore file did not cover it"). The remedy turns the clause
around with the clause's own nouns, by grammar rather than by topic, so it fits any incident whose data
phrases a gap this way; a clause the rules do not fit gets no remedy, and the caller says so instead.
"""

from __future__ import annotations

import re

from pm_agent.analysis.quoting import sentences_of
from pm_agent.analysis.vocabulary import NOT_A_SAFEGUARD, SILENT_FAILURE

MAX_WORDS = 14
# The verbs a gap names, with their base form: "validates", "validated" -> "validate".
_VERB_FORMS = {
    "cover": ("cover", "covers", "covered"),
    "catch": ("catch", "catches", "caught"),
    "test": ("test", "tests", "tested"),
    "check": ("check", "checks", "checked"),
    "detect": ("detect", "detects", "detected"),
    "validate": ("validate", "validates", "validated"),
    "monitor": ("monitor", "monitors", "monitored"),
    "scan": ("scan", "scans", "scanned"),
    "review": ("review", "reviews", "reviewed"),
    "alert on": ("alert on", "alerts on", "alerted on"),
    "watch": ("watch", "watches", "watched"),
}
BASE = {form: base for base, forms in _VERB_FORMS.items() for form in forms}
_VERB = "|".join(sorted(map(re.escape, BASE), key=len, reverse=True))
_NEG = r"(?:did not|didn't|does not|doesn't|do not|don't|never)"
_SAFEGUARD = (
    r"(?:scan|scanning|check|test|gate|review|alert|alerting|monitoring|validation|limit|runbook|canary|dashboard|"
    r"documentation|staging|backoff|timeout|quota|eviction|alarm|circuit[- ]breaker|fallback|failover|"
    r"retry (?:limit|budget))s?"
)

BUT_NOT_RE = re.compile(rf"^(?P<subj>.+) (?P<verb>{_VERB}) (?P<a>.+?),? but not (?P<b>.+)$", re.I)
ONLY_RE = re.compile(rf"^(?P<subj>.+?) only (?P<verb>{_VERB}) (?P<obj>.+)$", re.I)
NEGATED_RE = re.compile(rf"^(?P<subj>.+?) {_NEG} (?P<verb>{_VERB}) (?P<obj>.+)$", re.I)
PASSIVE_RE = re.compile(
    rf"^(?P<subj>.+?) (?:is|are|was|were) (?:not|never) (?P<verb>{_VERB})(?: by (?P<by>.+))?$", re.I
)
NOTHING_RE = re.compile(rf"\bnothing (?P<verb>{_VERB}) (?P<obj>.+)$", re.I)
# "no failover errors were seen" reports an absence of failures, not a missing safeguard.
_NOT_A_SAFEGUARD = NOT_A_SAFEGUARD
NO_SAFEGUARD_RE = re.compile(rf"\bno (?P<np>(?:[\w/.-]+ ){{0,3}}?{_SAFEGUARD})\b{_NOT_A_SAFEGUARD}(?P<rest>.*)$", re.I)
UNTESTED_RE = re.compile(
    r"^(?P<subj>.+?) (?:is|are|was|were) untested\b|\buntested (?P<np>[\w/.-]+(?: [\w/.-]+){0,3})", re.I
)
SILENT_RE = re.compile(rf"^(?P<subj>.+?) (?:{SILENT_FAILURE})", re.I)
GENERIC_SUBJECTS = {"the job", "the script", "the process", "the task", "the cron job", "the cronjob", "it", "this"}
COMPONENT_RE = re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b")
# Where a clause ends inside a sentence: "; ", ", and ", ", so ", and before "but nothing" / "and no".
CLAUSE_END_RE = re.compile(r";\s*|,\s+(?:and|so|while)\s+|\s+but\s+(?=nothing\b|no\b)|\s+and\s+(?=no\b)", re.I)
PRONOUN_RE = re.compile(r"^(?:it|them|this|that|these|those)\b", re.I)
PRONOUN_IN_RE = re.compile(r"\b(?:it|them|this|that|these|those)$", re.I)
SUBJECT_RE = re.compile(r"^(?P<np>.+?) (?:was|were|is|are|had|has|have|did|does|got)\b", re.I)
PERSONAL_SUBJECT_RE = re.compile(
    r"^(?:we|i|they|you|it|he|she)\s+\w+\s+(?P<np>.+?)(?:\s+(?:per|in|on|for|since|with|at)\b.*)?$", re.I
)
REST_VERB_RE = re.compile(
    r"^\s*(?:that |which )?(?:ran|runs|run|existed|exists|fired|fires|triggered|went off|was set|was in place|"
    r"is in place|in place|was configured|were configured)\b",
    re.I,
)
CUT_RE = re.compile(r",|\s+(?:before|until|when|so|because|since)\s+|\s+and\s+no\b", re.I)
# "the app polled the endpoint with no backoff": "with" belongs to "no backoff", not to where it goes.
TRAILING_PREPOSITION_RE = re.compile(r"\s+(?:with|without|and|using|at|on)$", re.I)
MASS_NOUNS = ("alerting", "monitoring", "validation", "documentation", "staging", "scanning", "backoff", "eviction")


def remedies(text: str, focus: re.Pattern[str]) -> list[str]:
    """The actions the gaps in ``text`` (its sentences that ``focus`` matches) ask for, in order; empty when no rule
    fits them."""
    return [action for action, _ in remedies_with_clauses(text, focus)]


def remedies_with_clauses(text: str, focus: re.Pattern[str]) -> list[tuple[str, str]]:
    """Each action a gap in ``text`` asks for, with the clause of ``text`` that states the gap."""
    found: dict[str, str] = {}
    for sentence in sentences_of(text):
        if not focus.search(sentence):
            continue
        whole = sentence.rstrip(".!?")
        turned = _but_not(whole)
        if turned is not None:
            found.setdefault(turned, whole)
            continue
        clauses = [c.strip() for c in CLAUSE_END_RE.split(whole) if c.strip()]
        for index, clause in enumerate(clauses):
            turned = _turned(clause, clauses[index - 1] if index else "")
            if turned is not None:
                found.setdefault(turned, clause)
    return list(found.items())


def _turned(clause: str, before: str) -> str | None:
    """One clause's remedy: the first of the rules that fits it."""
    for rule in (_silent, _no_safeguard, _only, _negated, _passive, _nothing, _untested):
        found = rule(clause, before)
        if found is not None:
            return found
    return None


def _silent(clause: str, before: str) -> str | None:
    """ "the job exits with status 0 on failure", "X fails silently": make it fail loudly. A generic subject ("the
    job") takes the component the clause before names ("backup-runner logs show ...")."""
    match = SILENT_RE.match(clause)
    if match is None:
        return None
    subject = _np(match["subj"])
    if subject.lower() in GENERIC_SUBJECTS:
        named = COMPONENT_RE.search(before) or COMPONENT_RE.search(clause)
        if named is None:
            return None
        subject = named.group(0)
    return _sentence(f"Make {subject} exit non-zero and alert when it fails")


def _but_not(sentence: str) -> str | None:
    match = BUT_NOT_RE.match(sentence)
    if match is None or _is_pronoun(match["subj"]):
        return None
    verb = BASE[match["verb"].lower()]
    return _sentence(f"Make {_np(match['subj'])} {verb} {_words(match['b'])} as well as {_words(match['a'])}")


def _only(clause: str, before: str) -> str | None:
    match = ONLY_RE.match(clause)
    if match is None or _is_pronoun(match["subj"]):
        return None
    verb = BASE[match["verb"].lower()]
    return _sentence(f"Make {_np(match['subj'])} {verb} more than {_words(match['obj'])}")


def _negated(clause: str, before: str) -> str | None:
    match = NEGATED_RE.match(clause)
    if match is None or _is_pronoun(match["subj"]):
        return None
    obj = _resolved(match["obj"], before)
    if obj is None:
        return None
    return _sentence(f"Make {_np(match['subj'])} {BASE[match['verb'].lower()]} {_words(obj)}")


def _passive(clause: str, before: str) -> str | None:
    match = PASSIVE_RE.match(clause)
    if match is None or _is_pronoun(match["subj"]):
        return None
    verb, subject = BASE[match["verb"].lower()], _np(match["subj"])
    if match["by"]:
        return _sentence(f"Make {_np(match['by'])} {verb} {_words(subject)}")
    return _sentence(f"{verb} {_words(subject)}")


def _nothing(clause: str, before: str) -> str | None:
    match = NOTHING_RE.search(clause)
    if match is None:
        return None
    obj = _resolved(match["obj"], before)
    if obj is None:
        return None
    return _sentence(f"{BASE[match['verb'].lower()]} {_words(obj)}")


def _no_safeguard(clause: str, before: str) -> str | None:
    match = NO_SAFEGUARD_RE.search(clause)
    if match is None:
        return None
    noun = match["np"].strip()
    rest = REST_VERB_RE.sub("", match["rest"])
    rest = CUT_RE.split(rest, maxsplit=1)[0].strip()
    rest = _present(rest)  # "no alert watched X" asks for an alert that watches X
    if PRONOUN_IN_RE.search(rest):
        return None  # "no tests for it": nothing names what the safeguard is for
    if not rest and " " not in noun:
        # "the app retries at once, no backoff": what precedes names where it goes; "no monitoring" alone names nothing
        where = TRAILING_PREPOSITION_RE.sub("", clause[: match.start()].rstrip(" ,;:-–—"))
        if len(where.split()) < 3 or PRONOUN_IN_RE.search(where):
            return None
        return _sentence(f"Add {_article(noun)}{noun} where {_words(_np(where))}")
    return _sentence(f"Add {_article(noun)}{_words(' '.join(filter(None, (noun, rest))))}")


def _present(rest: str) -> str:
    """ "watched the queue depth" -> "that watches the queue depth": a safeguard that did not do something, asked for
    as one that does; any other rest as it stands."""
    verb, _, tail = rest.partition(" ")
    base = BASE.get(verb.lower())
    if base is None or base == verb.lower() or " " in base:
        return rest
    third = base + ("es" if base.endswith(("s", "sh", "ch", "x")) else "s")
    return " ".join(filter(None, ("that", third, tail)))


def _article(noun: str) -> str:
    """ "a ", "an " or nothing: "a size limit", "an alert", "backoff", "tests"."""
    if noun.lower().endswith(MASS_NOUNS) or noun.lower().endswith("s"):
        return ""
    return "an " if noun[:1].lower() in "aeiou" else "a "


def _untested(clause: str, before: str) -> str | None:
    match = UNTESTED_RE.search(clause)
    if match is None:
        return None
    if match["subj"]:
        return None if _is_pronoun(match["subj"]) else _sentence(f"Test {_words(_np(match['subj']))}")
    return _sentence(f"Test the {_words(match['np'])}")


def _resolved(obj: str, before: str) -> str | None:
    """``obj``, or what its pronoun stands for in the clause ``before`` ("it" -> "the .env file")."""
    obj = CUT_RE.split(obj, maxsplit=1)[0].strip()
    if not PRONOUN_RE.match(obj):
        return obj
    personal = PERSONAL_SUBJECT_RE.match(before)
    if personal is not None:
        return personal["np"]
    subject = SUBJECT_RE.match(before)
    if subject is not None and not _is_pronoun(subject["np"]):
        return _np(subject["np"])
    return None


def _is_pronoun(phrase: str) -> bool:
    return phrase.strip().lower() in {"it", "we", "they", "this", "that", "i", "you", "he", "she", "there"}


def _np(phrase: str) -> str:
    """A noun phrase moved inside a sentence: a sentence-initial capital lower-cased ("The pipeline" -> "the
    pipeline")."""
    phrase = phrase.strip()
    first = phrase.split(" ", 1)[0]
    if first.istitle() and first.isalpha():  # "Schema checks" at the start of a sentence; "PayFast" keeps its case
        return first.lower() + phrase[len(first) :]
    return phrase


def _words(text: str) -> str:
    parts = text.strip().rstrip(".,;:").split()
    return " ".join(parts[:MAX_WORDS]) + ("…" if len(parts) > MAX_WORDS else "")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
