"""Fact tokens: the parts of a sentence a blameless rewrite must carry over untouched.

Times, dates, numbers, ticket and PR ids, versions, hosts, IPs, paths, flags, identifiers in
backticks, snake_case, kebab-case and CamelCase, acronyms and known product names. People's
names are not facts (dropping them is the point of a rewrite), nor are role acronyms (DBA, SRE)
or blame terms (PEBKAC, "layer 8").
"""

from __future__ import annotations

import re

from pm_agent.analysis.blameless.lexicon import FIRST_NAMES, ROLE_ACRONYMS, SYSTEM_NAMES
from pm_agent.data import table
from pm_agent.textscan.words import literal_pattern

_PRODUCTS = literal_pattern(SYSTEM_NAMES)
# Order matters: at each position the first alternative that matches wins.
_FACT = re.compile(
    "|".join(
        [
            r"`[^`\n]+`",  # anything in backticks
            r"https?://[^\s<>()]*[^\s<>().,;:!?'\"]",  # URL
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?\b",
            r"\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?(?::\d+)?\b",  # IPv4, CIDR
            r"\b(?:PRs?|MRs?|[Ii]ssues?|[Tt]ickets?|CR)\s?#\d+\b|(?<![\w#])#\d+\b",  # PR #4512, #77
            r"\b[A-Z][A-Z0-9]*(?:-\d+)+\b",  # INC-42, CHG-771, CVE-2024-3094
            r"\bv\d+(?:\.\d+)+(?:[-+][\w.]+)?\b|\b\d+\.\d+\.\d+(?:[-+][\w.]+)?\b",  # versions
            r"\b(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]\b",  # hosts, files
            r"(?<![\w/.])/(?=[\w.-]*[A-Za-z])[\w.-]+(?:/[\w.-]+)*/?",  # paths
            r"(?<![\w-])--[A-Za-z][\w-]*",  # flags
            rf"\b(?=[A-Za-z])(?:{_PRODUCTS})(?![\w-])",  # known systems
            r"\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+\b",  # snake_case, ENV_VARS
            r"\b[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+\b",  # kebab-case (filtered below)
            r"\b\d{1,2}:\d{2}(?::\d{2})?\b",  # 14:05
            r"\b[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+\b|\b[a-z]+(?:[A-Z][a-z0-9]*)+\b",  # CamelCase
            r"\b(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]+\b",  # k8s, S3, 2FA, 200GB, 503s
            r"(?<![\w.])[$€£]?\d+(?:[.,]\d+)*%?",  # numbers, 40,000, 0.5%
            r"\b[A-Z][A-Z0-9]{1,}\b",  # DNS, TLS, UTC
        ]
    )
)
_INFRA_PARTS = frozenset(table("blameless_lexicon")["infra_parts"])
_NOT_FACTS = frozenset(table("blameless_lexicon")["blame_acronyms"]) | ROLE_ACRONYMS
_SURNAME_CAMEL = re.compile(r"(?:Mc|Mac|De|Da|Di|La|Le|Van|Von|Du)[A-Z][a-z]+")
# Blame terms with digits, and @handles (people: "@li.wei" is not a host name).
_NOT_FACT_SPANS = re.compile(r"(?i)\blayer[- ]8\b|\bID10T\b|(?<![\w.])@[\w.-]*\w")
# Every match of _FACT holds a digit, a capital, one of these marks, or is a lower-case system name:
# a text without any has no facts, and the full scan can be skipped.
_MAY_HOLD_FACT = re.compile(
    "[\\dA-Z`/_#$€£.@-]|" + literal_pattern(n for n in SYSTEM_NAMES if not re.search(r"[\dA-Z`/_#$€£.@-]", n))
)


def _is_fact(token: str) -> bool:
    if token in _NOT_FACTS or token in FIRST_NAMES or _SURNAME_CAMEL.fullmatch(token):
        return False
    if re.fullmatch(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+", token):
        return _is_system_kebab(token)
    return True


def _is_system_kebab(token: str) -> bool:
    """``db-prod-3``, ``checkout-web`` and ``eu-west-1`` name systems; ``on-call`` and ``hard-coded`` do not."""
    parts = token.lower().split("-")
    if parts[-1] in {"like", "based", "aware", "ready", "only", "related", "facing", "wide", "level"}:
        return False
    return (
        token in SYSTEM_NAMES
        or any(p.isdigit() or any(c.isdigit() for c in p) for p in parts)
        or any(p in _INFRA_PARTS for p in parts)
    )


def fact_tokens(text: str) -> list[str]:
    """Facts in ``text`` in reading order: times, numbers, ids, hosts, and names of systems.

    >>> fact_tokens("Bob restarted `payments-api` on db-prod-3 at 14:05 (PR #4512).")
    ['`payments-api`', 'db-prod-3', '14:05', 'PR #4512']
    """
    if not _MAY_HOLD_FACT.search(text):
        return []
    masked = _NOT_FACT_SPANS.sub(lambda m: " " * len(m.group()), text)
    return [m.group() for m in _FACT.finditer(masked) if _is_fact(m.group())]
