"""The rule tables pm-agent ships as data, and their one loader.

Word lists and phrase tables live beside this module as TOML files, so they can be read and
extended without reading code:

- ``blameless_lexicon.toml``: names of people and systems, role nouns, judgement and blame words;
- ``english.toml``: the blameless rewrites' grammar (irregular verbs, function words, object stops);
- ``terms.toml``: stop and generic words of the rubric and of the matcher (two lists on purpose);
- ``cause_rules.toml``: the cause categories and their weighted keywords;
- ``action_rules.toml``: owner roles with their roster aliases, due-date horizons;
- ``why_review.toml``: where a why-chain should not stop, and the questions to ask instead;
- ``fishbone.toml``: the fishbone's groups and which causes and factors go where.

(``secret_rules.toml`` has its own reader in :mod:`pm_agent.guards.redaction`: a secret rule is a
pattern with checks and keywords for a pre-scan.) Regular expressions that carry logic stay Python
table modules next to their readers: the event vocabulary (:mod:`pm_agent.analysis.vocabulary`), whose
tags are built from shared fragments and whose alternation order decides what a draft quotes, the
blameless rules, the SMART lint patterns. The rubric's phrase lists were data already, in
``prompts/rubric.json``, which the model judge reads too.

Every table is declared in :data:`SHAPES` with the keys it must have and what each holds; :func:`table`
reads a file once (cached for the life of the process), checks it against its shape and returns plain
Python values, read-only since every reader shares them (tuples of words and strings, numbers, and
read-only mappings for tables and records). A missing or malformed table is a bug in the package,
reported as :class:`~pm_agent.errors.RuleTableError` naming the file and the key.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

from pm_agent.errors import RuleTableError


class Kind:
    """What one key of a table holds; :meth:`read` checks a value and returns its Python form."""

    description = "a value"

    def read(self, value: Any, where: str) -> Any:
        raise NotImplementedError

    def _wrong(self, value: Any, where: str) -> RuleTableError:
        return RuleTableError(f"{where} must be {self.description}, not {type(value).__name__} {str(value)[:40]!r}")


def _at(where: str, key: str | int) -> str:
    """Where a key sits, for messages: "rule table data/x.toml: owners.platform", "...: rules[2].weight"."""
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}: {key}" if where.endswith(".toml") else f"{where}.{key}"


class _Words(Kind):
    """Single words: one string split on white space (a long list reads best that way), or a list."""

    description = "a string of words separated by white space, or a list of non-empty strings"

    def read(self, value: Any, where: str) -> tuple[str, ...]:
        if isinstance(value, str):
            return tuple(value.split())
        if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
            return tuple(value)
        raise self._wrong(value, where)


@dataclass(frozen=True)
class _Text(Kind):
    may_be_empty: bool = False

    @property
    def description(self) -> str:  # type: ignore[override]
        return "a string" if self.may_be_empty else "a non-empty string"

    def read(self, value: Any, where: str) -> str:
        if isinstance(value, str) and (self.may_be_empty or value.strip()):
            return value
        raise self._wrong(value, where)


@dataclass(frozen=True)
class _Regex(Kind):
    """A pattern, checked by compiling it with the flags its reader uses (so the reader's own compile is a hit in
    ``re``'s cache, not a second compile); kept as the string, for readers that build on it."""

    flags: int = 0
    description = "a regular expression (a string)"

    def read(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self._wrong(value, where)
        try:
            re.compile(value, self.flags)
        except re.error as exc:
            raise RuleTableError(f"{where} is not a valid regular expression ({exc})") from None
        return value


class _Number(Kind):
    description = "a number"

    def read(self, value: Any, where: str) -> float | int:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        raise self._wrong(value, where)


class _Flag(Kind):
    description = "true or false"

    def read(self, value: Any, where: str) -> bool:
        if isinstance(value, bool):
            return value
        raise self._wrong(value, where)


WORDS, TEXT, REGEX, NUMBER, FLAG = _Words(), _Text(), _Regex(), _Number(), _Flag()
ANY_TEXT = _Text(may_be_empty=True)  # a replacement that may delete what it replaces
REGEX_I = _Regex(re.IGNORECASE)  # a pattern matched ignoring case


@dataclass(frozen=True)
class MapOf(Kind):
    """A TOML table whose keys are free and whose values are all ``value``; keeps the file's order."""

    value: Kind

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"a table of {self.value.description}"

    def read(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self._wrong(value, where)
        return MappingProxyType({key: self.value.read(item, _at(where, key)) for key, item in value.items()})


@dataclass(frozen=True)
class ListOf(Kind):
    """A TOML array whose items are all ``item`` (``[[name]]`` for records); read as a tuple."""

    item: Kind
    at_least: int = 1

    @property
    def description(self) -> str:  # type: ignore[override]
        return f"a list of at least {self.at_least} × {self.item.description}"

    def read(self, value: Any, where: str) -> tuple[Any, ...]:
        if not isinstance(value, list) or len(value) < self.at_least:
            raise self._wrong(value, where)
        return tuple(self.item.read(item, _at(where, index)) for index, item in enumerate(value))


@dataclass(frozen=True)
class Record(Kind):
    """A TOML table with exactly these keys (``optional`` ones may be left out and read as ``None``).

    ``check`` looks at the values read and returns what is wrong across keys (a name used that another key does
    not declare), or ``None``.
    """

    fields: dict[str, Kind]
    optional: frozenset[str] = frozenset()
    check: Callable[[dict[str, Any]], str | None] | None = None

    description = "a table"

    def read(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self._wrong(value, where)
        unknown = sorted(set(value) - set(self.fields))
        if unknown:
            raise RuleTableError(f"{where}: unknown key(s) {', '.join(unknown)}; expected {', '.join(self.fields)}")
        missing = [key for key in self.fields if key not in value and key not in self.optional]
        if missing:
            raise RuleTableError(f"{where}: missing key(s) {', '.join(missing)}")
        read = {
            key: kind.read(value[key], _at(where, key)) if key in value else None for key, kind in self.fields.items()
        }
        problem = self.check(read) if self.check else None
        if problem:
            raise RuleTableError(f"{where}: {problem}")
        return MappingProxyType(read)


STRINGS = ListOf(TEXT)  # phrases, questions, words with spaces: one string each, never split


# --- the shipped tables ---------------------------------------------------------------------------


def _fishbone_groups_declared(fishbone: dict[str, Any]) -> str | None:
    used = {*fishbone["category_by_kind"].values(), *(rule["category"] for rule in fishbone["factor_category"])}
    unknown = sorted(used - set(fishbone["categories"]))
    return (
        f"unknown categories {', '.join(unknown)}; use one of {', '.join(fishbone['categories'])}" if unknown else None
    )


SHAPES: dict[str, Record] = {
    "blameless_lexicon": Record(
        {
            "first_names": WORDS,
            "system_names": WORDS,
            "multi_word_system_names": STRINGS,
            "role_nouns": STRINGS,
            "role_acronyms": WORDS,
            "judgement_adjectives": WORDS,
            "judgement_adverbs": WORDS,
            "judgement_nouns": WORDS,
            "signal_nouns": WORDS,
            "blame_words": WORDS,
            "infra_parts": WORDS,
            "blame_acronyms": WORDS,
        }
    ),
    "english": Record(
        {
            "irregular_verbs": STRINGS,
            "doubling_verbs": WORDS,
            "known_bases": WORDS,
            "particles": WORDS,
            "object_stops": WORDS,
            "clause_openers": WORDS,
            "danglers": WORDS,
            "auxiliaries": WORDS,
            "common_verb_forms": WORDS,
            "function_words": WORDS,
        }
    ),
    "terms": Record(
        {
            "rubric": Record({"stop": WORDS, "generic": WORDS, "common_acronyms": WORDS}),
            "matching": Record({"stopwords": WORDS, "generic": WORDS}),
        }
    ),
    "cause_rules": Record(
        {
            "min_score": NUMBER,
            "pattern_count_cap": NUMBER,
            "categories": MapOf(ListOf(Record({"pattern": REGEX_I, "weight": NUMBER}))),
        }
    ),
    "action_rules": Record(
        {
            "horizons": MapOf(Record({"days": NUMBER, "effort": TEXT})),
            "owners": MapOf(Record({"role": TEXT, "aliases": STRINGS}, optional=frozenset({"role"}))),
        }
    ),
    "why_review": Record(
        {
            "min_steps": NUMBER,
            "too_short_question": TEXT,
            "person_questions": STRINGS,
            "human_verbs": STRINGS,
            "role_only_verbs": STRINGS,
            "not_names": WORDS,
            "systemic_markers": REGEX_I,
            "not_systemic_finding": TEXT,
            "not_systemic_questions": STRINGS,
            "stop_rule": ListOf(
                Record(
                    {"code": TEXT, "pattern": REGEX, "finding": TEXT, "questions": STRINGS, "last_only": FLAG},
                    optional=frozenset({"questions"}),
                )
            ),
        }
    ),
    "fishbone": Record(
        {
            "categories": STRINGS,
            "category_by_kind": MapOf(TEXT),
            "people_phrase": ListOf(Record({"pattern": REGEX_I, "phrase": TEXT})),
            "factor_category": ListOf(Record({"pattern": REGEX_I, "category": TEXT})),
            "blame_swap": ListOf(Record({"pattern": REGEX_I, "replacement": ANY_TEXT})),
        },
        check=_fishbone_groups_declared,
    ),
}


def table(name: str) -> Mapping[str, Any]:
    """The shipped table ``data/<name>.toml``, checked against its shape in :data:`SHAPES` (read once)."""
    if name not in SHAPES:
        raise RuleTableError(f"no rule table named {name!r}; known: {', '.join(SHAPES)}")
    return _shipped(name)


@functools.cache
def _shipped(name: str) -> Mapping[str, Any]:
    try:
        text = resources.files(__name__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleTableError(
            f"rule table data/{name}.toml cannot be read ({exc.strerror or exc}); reinstall pm-agent"
        ) from None
    return parse_table(text, name, SHAPES[name])


def parse_table(text: str, name: str, shape: Record) -> Mapping[str, Any]:
    """``text`` (a TOML document) read as the table ``name`` of ``shape``; raises :class:`RuleTableError`."""
    where = f"rule table data/{name}.toml"
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleTableError(f"{where} is not valid TOML ({exc})") from None
    return shape.read(document, where)
