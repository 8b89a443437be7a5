"""The content words of a postmortem: what a statement is about, and whether it is about this incident.

The rubric measures substance, not markers. A root cause, an action or a lesson is worth something
when it names the incident's own components and mechanisms: the proper nouns, technical terms and
code identifiers that the rest of the document (title, summary, timeline, impact) also uses. This
module reduces text to such *terms*:

- words are split on punctuation and lightly stemmed ("scheduled", "scheduling" -> "schedul");
- English function words and date words are dropped;
- words every postmortem uses ("incident", "service", "alert", "test", "add") are *generic*: they
  carry a little weight but never make a statement specific;
- code identifiers (``isDisabled``, ``survey-utils.ts``, ``aws-ebs-csi-driver``), acronyms (``ALB``)
  and words with digits (``1.270.0``, ``503``) weigh more, because they name one system.

Everything here is linear in the text: one tokenising pass, set operations on the results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

GENERIC_WEIGHT = 0.25
IDENTIFIER_WEIGHT = 2.0
PROPER_WEIGHT = 2.0  # a capitalised word inside a sentence names something: 'Traefik', 'Terraform'
_SENTENCE_MARKS = frozenset(".!?:;|\n-*#>(\"'`[•–—")

_TOKEN_RE = re.compile(r"[A-Za-z0-9]+(?:[._/-][A-Za-z0-9]+)*")
_CAMEL_RE = re.compile(r"[a-z][A-Z]")
_CAMEL_PART_RE = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_PART_RE = re.compile(r"[A-Za-z0-9]+")

STOP = frozenset("""
a about above across after afterwards again against all almost alone along already also although always am among an and
another any anyone anything anyway are around as at away back be became because become becomes been before being below
beside besides between both but by can cannot could did do does doing done down during each eg either else enough etc
even ever every everyone everything few for from further get gets getting got had has have having he her here hers him
his how however i ie if in indeed instead into is it its itself just least less let lets like likely made make makes
many may me meanwhile might more moreover most mostly much must my neither never nevertheless no nobody none nor not
nothing now of off often on once one only onto or other others otherwise our ours out over own per perhaps quite rather
really same seem seemed seems several shall she should since so some somehow someone something sometimes still such
than that the their theirs them themselves then there thereby therefore these they this those though through thus to
together too toward towards two three four five six seven eight nine ten under until up upon us very via was we well
were what whatever when whenever where whereas wherever whether which while who whom whose why will with within without
would yet you your yours able actually almost already around came come comes coming could did does due either enough
first second third last next new old given going gone good great bad better best worse know known knew lot lots mean
meant put said say says saw see seen show shown showed take taken took thing things think thought way ways went yes
want wanted include included includes including went instead within became becoming kind sort bit much many any
also just even often usually quickly
slowly approximately approx roughly around about nearly almost circa ca certain certainly clear clearly
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september
october november december jan feb mar apr jun jul aug sep sept oct nov dec utc gmt cet cest est edt pst pdt am pm
didn doesn don isn wasn weren haven hasn hadn won wouldn couldn shouldn aren ain let look looked looking looks
today yesterday tomorrow morning afternoon evening night tonight week weeks month months year years
""".split())

GENERIC = frozenset("""
incident incidents issue issues problem problems outage outages postmortem postmortems post mortem service services
system systems change changes changed failure failures fail failed failing error errors user users customer customers
team teams production prod deploy deployed deploying deployment deployments release released releases test tests
tested testing alert alerts alerted alerting monitoring monitor monitored process processes runbook runbooks rollback
rollbacks roll rolled fix fixed fixes fixing cause causes caused causing root impact impacted affect affected affecting
action actions owner owners step steps check checks checked checking data work worked working engineer engineers
oncall call add added adding implement implemented implementing ensure ensured improve improved improving improvement
improvements update updated updates create created creating use used uses using run runs running ran need needed needs
happen happened happens trigger triggered triggers detect detected detecting detection resolve resolved resolution
mitigate mitigated mitigation recover recovered recovery restore restored start started starting begin began end ended
minute minutes mins min hour hours hrs day days second seconds secs level levels case cases part parts point points
response respond responded review reviewed investigate investigated investigation confirm confirmed confirmation
unknown mode modes safeguard safeguards guardrail guardrails automated automate automatic automatically prevent
prevented prevention future similar sure manual manually systemic candidate hypothesis evidence timeline record records
recorded draft question questions answer data document documented documentation gap gaps lack lacked lacking missing
missed reason reasons result results effect effects report reports reported reporting identify identified
identifying discover discovered contact contacted culprit potential potentially previous previously additional
information ask asked asking suspected suspect noticed notice notices investigating
led lead leads leading resulting made happen place places able unable available unavailable already continue continued
team's people person someone anyone everyone nobody owner owned ownership role roles responsible lesson lessons learned
learn learning well went wrong right helped help helps future time times total duration period
verify verified validation validate validated safe safely quick quickly fast faster slow slower early earlier late later
high higher low lower small large big full fully partial partially complete completed completely normal normally
problematic expected unexpected unexpectedly intended unintended unintentionally properly proper correct correctly
incorrect incorrectly common specific general generally different various multiple single
consider explore evaluate keep set setup make
event events connect connects connected observe observed observation finding findings found quote quoted
name names named broken break breaks whys input inputs mark marks marked catch catches caught
""".split())

COMMON_ACRONYMS = frozenset("""
api apis cpu ram dns http https url urls ui ux ci cd sdk db sql json yaml xml tls ssl ssh aws gcp vm vms os io id ids
ip tcp udp qa sre pr prs ops it hr eu us uk utc sla slo sli rca faq etl
""".split())  # initials too common to single out one system: they count as words, not as names

_SUFFIXES = (
    "ations", "ation", "ments", "ment", "ings", "ing", "edly", "ers", "ies", "ied", "ed", "es", "er", "ly", "s",
)


@dataclass(frozen=True)
class Terms:
    """The terms of a text, each with its weight (generic terms light, identifiers heavy)."""

    weights: dict[str, float]
    specific: dict[str, float] = field(init=False, repr=False, compare=False)
    """The terms that name something (weight >= 1): the ones that make a statement about one system. Worked out
    with the weights, since nearly every reader asks for them (as a cached property it cost a lock per text)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "specific", {t: w for t, w in self.weights.items() if w >= 1.0})

    def specific_weight(self) -> float:
        return sum(self.specific.values())

    def total_weight(self) -> float:
        return sum(self.weights.values())


def terms(text: str) -> Terms:
    """The content terms of ``text``: stems of non-function words, weighted by how much they name."""
    weights: dict[str, float] = {}
    text = text or ""
    for match in _TOKEN_RE.finditer(text):
        found, capitalised = _token_terms(match[0])
        proper = capitalised and not _opens_sentence(text, match.start())
        for key, weight in found:
            if proper and weight == 1.0:
                weight = PROPER_WEIGHT
            if weight > weights.get(key, 0.0):  # a term keeps its highest weight
                weights[key] = weight
    return Terms(weights)


@lru_cache(maxsize=65536)
def _token_terms(token: str) -> tuple[tuple[tuple[str, float], ...], bool]:
    """The terms of one token with their weights, and whether a capital inside a sentence would make it a name
    ('Traefik', not 'ALB'): that depends on where the token stands, so :func:`terms` decides it. Cached: a
    document, and a long timeline most of all, repeats its tokens many times."""
    found = []
    parts = _PART_RE.findall(token)
    if _is_identifier(token):
        found.append((_identifier_key(token), IDENTIFIER_WEIGHT))
        parts = [piece for part in parts for piece in _CAMEL_PART_RE.findall(part) if len(piece) >= 4]
    for part in parts:
        key, weight = _word(part)
        if key:
            found.append((key, weight))
    return tuple(found), bool(found) and token[0].isupper() and not token.isupper()


def shared_share(part: Terms, vocab: set[str]) -> float:
    """The share of ``part``'s specific weight whose terms ``vocab`` also holds (0 when nothing is specific)."""
    specific = part.specific
    total = sum(specific.values())
    if not total:
        return 0.0
    return sum(w for t, w in specific.items() if t in vocab) / total


def shared_weight(part: Terms, vocab: set[str] | dict[str, float]) -> float:
    """The specific weight of ``part`` that ``vocab`` also holds."""
    return sum(w for t, w in part.specific.items() if t in vocab)


def stem(word: str) -> str:
    """A light, deterministic stem: 'scheduled', 'scheduling', 'schedules' -> 'schedul'."""
    word = word.lower()
    for _ in range(2):
        word = _strip_suffix(word)
    return word


def _strip_suffix(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word[-2] in "sui":
                continue
            if suffix in ("ies", "ied"):
                return word[: -len(suffix)] + "y"
            if suffix == "ly" and len(word) < 6:
                continue
            return word[: -len(suffix)]
    if word.endswith("e") and len(word) >= 4:
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def _word(part: str) -> tuple[str, float]:
    """The stem of one word and how much it names (cached: documents repeat their words many times)."""
    lower = part.lower()
    if part.isdigit() or part[:-1].isdigit() and lower.endswith("s"):
        code = lower.rstrip("s")
        return (code, 1.0) if len(code) == 3 and code[0] in "45" else ("", 0.0)
    if len(lower) < 3 or lower in STOP:
        return "", 0.0
    if any(c.isdigit() for c in part):
        return lower, IDENTIFIER_WEIGHT
    key = stem(lower)
    if lower in GENERIC or key in _GENERIC_STEMS:
        return key, GENERIC_WEIGHT
    if part.isupper() and len(part) <= 6 and lower not in COMMON_ACRONYMS:
        return key, IDENTIFIER_WEIGHT
    return key, 1.0


def _opens_sentence(text: str, start: int) -> bool:
    """True when the word at ``start`` is the first of a sentence, line, cell or list item."""
    index = start - 1
    while index >= 0 and text[index] in " \t\u00a0":
        index -= 1
    return index < 0 or text[index] in _SENTENCE_MARKS


def _is_identifier(token: str) -> bool:
    """Code-like tokens: camelCase, snake_case, dotted names or paths, versions."""
    if not any(c.isalpha() for c in token):
        return "." in token and token.count(".") >= 2
    if _CAMEL_RE.search(token) or "_" in token:
        return True
    if "." not in token and "/" not in token:
        return False
    named = [p for p in _PART_RE.findall(token) if len(p) >= 2 and p.lower() not in STOP]
    return ("." in token or "/" in token) and len(named) >= 2


def _identifier_key(token: str) -> str:
    return token.lower().strip("./")


_GENERIC_STEMS = frozenset(stem(w) for w in GENERIC)
