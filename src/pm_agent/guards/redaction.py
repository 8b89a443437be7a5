"""Redaction of secrets (and, by default, e-mail addresses) before text reaches a model or the memory.

Incident data is pasted from chat, pages and logs, so it carries what those carry: cloud keys,
chat, CI and registry tokens, passwords inside connection strings, command lines and config
files. :func:`redact` replaces each with a placeholder naming what was there
(``[REDACTED:github-token]``) and reports kinds and counts, never the value. Precision matters as
much as recall: timestamps, durations, figures, versions, IP addresses, SHAs, UUIDs, incident ids
and git remotes are left byte for byte.

Three kinds of rule, run in this order:

- token formats and their contexts (``glpat-...``, ``Authorization: Bearer ...``,
  ``mysql -p...``), one regular expression each, listed as data in ``data/secret_rules.toml``
  (many adapted from gitleaks, whose licence that file carries) and read by :func:`load_rules`;
- key-value pairs whose key names a secret (``DB_PASSWORD=``, ``dbPassword:``, ``"api_key": "..."``,
  ``--password=``, ``:_authToken=``), whatever the value looks like after ``=`` and when it looks
  like a secret after ``:``;
- PEM private key blocks and e-mail addresses.

Every pattern is linear in the text: matches start only at word boundaries or literal prefixes,
repeats are bounded, and a rule runs only when one of its literal keywords occurs in the text
(one scan finds which do). Structured data (parsed JSON, pydantic models) is redacted string by
string, and a value under a key that names a secret is replaced whatever it looks like
(:func:`redact_structured`).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel

from pm_agent.ingest.json_depth import MAX_JSON_DEPTH, json_depth
from pm_agent.textscan.words import literal_pattern

log = logging.getLogger("pm_agent.guards.redaction")
M = TypeVar("M")
PLACEHOLDER = "[REDACTED:{kind}]"
RULES_FILE = ("data", "secret_rules.toml")


@dataclass(frozen=True)
class Finding:
    """How many values of one kind were redacted (the values themselves are never kept)."""

    kind: str
    count: int


@dataclass(frozen=True)
class Redacted:
    """A text with its secrets replaced, and what was replaced."""

    text: str
    findings: tuple[Finding, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.findings)


@dataclass(frozen=True)
class Rule:
    """One kind of secret: a pattern whose group ``secret`` (or whole match) is replaced.

    ``hints`` are literals (in lower case) one of which any match contains, so the pattern runs
    only on texts that could hold it. ``check`` may still turn down a match. A ``pair`` rule is a
    key-value pair: its value is in one of the groups ``dq``, ``sq``, ``br`` or ``bare``.
    """

    kind: str
    pattern: re.Pattern[str]
    hints: tuple[str, ...]
    check: Callable[[str], bool] | None = None
    pair: bool = False


# --- checks a matched value must pass ----------------------------------------------------------

# Values that are never secrets, however they are keyed: times, dates, durations, sizes,
# versions, figures and addresses ("token: 12:30", "password_max_age: 90d", "v2.14.3").
_ORDINARY_VALUE = re.compile(
    r"[vV]?\d{1,20}(?:[.:\-/]\d{1,20}){0,6}(?:[T ]\d{1,2}(?::\d{2}){1,2}(?:\.\d{1,9})?)?(?:Z|[+\-]\d{2}:?\d{2})?"
    r"(?:-[A-Za-z]{1,10}(?:\.\d{1,6})?)?"
    r"|\d{1,20}(?:\.\d{1,6})?(?:%|[A-Za-z]{1,3})(?:\d{1,6}(?:\.\d{1,6})?[A-Za-z]{1,3}){0,3}"
    r"|(?:~|\.{1,2})?/[\w.\-/]{1,400}"
)
# Values that stand for a secret without being one: references, templates, masks and nothing.
_STAND_IN = re.compile(
    r"\$\{[^}\r\n]{1,200}\}|\$\([^)\r\n]{1,200}\)|\$[A-Za-z_][A-Za-z0-9_]{0,100}|%[A-Za-z_][A-Za-z0-9_]{0,100}%"
    r"|\{\{[^}\r\n]{0,200}\}?\}?|\{[ \t]{0,4}\.[^}\r\n]{0,200}|<[^<>\r\n]{1,100}>|\*{3,}|[xX]{3,}|\.{3}|…"
    r"|(?i:true|false|null|none|nil|undefined|empty|redacted|hidden|masked|n/a|\[(?:redacted|hidden)\]"
    r"|invalid|expired|missing|required|unset|default|unknown|rotated|revoked|enabled|disabled|yes|no|on|off)"
)


def _has_digit(value: str) -> bool:
    return any(c.isdigit() for c in value)


def _letters_and_digits(value: str) -> bool:
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _looks_secret(value: str) -> bool:
    """A bare word after ``password:`` is a secret when it mixes in digits or symbols ("hunter2",
    not "rotated") and is not a time, date, figure, version or path ("12:30", "v2.14.3")."""
    return (
        len(value) >= 6
        and any(not c.isalpha() for c in value)
        and not _ORDINARY_VALUE.fullmatch(value.rstrip(".,"))
        and not _STAND_IN.fullmatch(value)
    )


def _not_a_port_and_path(value: str) -> bool:
    """``https://host:8443/path@v2`` has no password: a slash after digits only is a port and a path."""
    head, slash, _ = value.partition("/")
    return not (slash and head.isdigit())


CHECKS: dict[str, Callable[[str], bool]] = {
    "has-digit": _has_digit,
    "letters-and-digits": _letters_and_digits,
    "looks-secret": _looks_secret,
    "not-a-port-and-path": _not_a_port_and_path,
}


# --- the rules -----------------------------------------------------------------------------


def load_rules(text: str | None = None) -> tuple[Rule, ...]:
    """The rules of ``data/secret_rules.toml`` (or of ``text``, a TOML document of its shape), in order.

    Raises ``ValueError`` naming the rule when one is malformed: the file ships with the code,
    so a bad rule is a bug to catch in the tests, not an input error.
    """
    if text is None:
        text = resources.files("pm_agent").joinpath(*RULES_FILE).read_text(encoding="utf-8")
    rules = []
    for number, entry in enumerate(tomllib.loads(text).get("rule", []), start=1):
        rules.append(_rule_from_entry(entry, f"rule {number} ({entry.get('kind', 'no kind')})"))
    return tuple(rules)


def _rule_from_entry(entry: dict[str, Any], name: str) -> Rule:
    unknown = set(entry) - {"kind", "regex", "keywords", "ignore_case", "check", "source"}
    if unknown:
        raise ValueError(f"{name}: unknown field(s) {', '.join(sorted(unknown))}")
    kind, regex, keywords = entry.get("kind"), entry.get("regex"), entry.get("keywords")
    if not isinstance(kind, str) or not re.fullmatch(r"[a-z0-9][a-z0-9\-]{0,40}", kind):
        raise ValueError(f"{name}: 'kind' must be a lower-case name like github-token")
    lower_case = isinstance(keywords, list) and all(isinstance(k, str) and k and k == k.lower() for k in keywords)
    if not keywords or not lower_case:
        raise ValueError(f"{name}: 'keywords' must be a list of lower-case literals")
    check = entry.get("check")
    if check is not None and check not in CHECKS:
        raise ValueError(f"{name}: unknown check {check!r}; choose one of {', '.join(CHECKS)}")
    try:
        pattern = re.compile(str(regex), re.IGNORECASE if entry.get("ignore_case") else 0)
    except re.error as exc:
        raise ValueError(f"{name}: bad regex ({exc})") from None
    return Rule(kind, pattern, tuple(keywords), check=CHECKS[check] if check else None)


# A quoted ("", '', or ODBC's {}) or bare value after ``key=`` / ``key: ``; never an earlier placeholder.
# A bare value runs to white space or a quote; ``;``, ``,`` and ``&`` end it only where a space, the
# end or the next ``key=`` follows, so ``pass=a&b;c`` is one value and ``?token=x&limit=5`` is not.
_VALUE = (
    r"""(?:"(?!\[REDACTED:)(?P<dq>[^"\r\n]{1,512})"|'(?!\[REDACTED:)(?P<sq>[^'\r\n]{1,512})'"""
    + r"|\{(?!\[REDACTED:)(?P<br>[^}\r\n]{1,512})\}"
    + r"|(?!\{?\[REDACTED:)"
    + r"""(?P<bare>(?:[^\s;,&"'<>]|[;,&](?![\s;,&]|$|[A-Za-z0-9_.\-]{1,40}=)){1,512}))"""
)
# Where a short key word (``pwd``, ``pass``) may start: not inside a word ("bypass"), but at a
# camelCase hump ("dbPass").
_WORD_START = r"(?:(?<![A-Za-z0-9])|(?<=(?-i:[a-z0-9]))(?=(?-i:[A-Z])))"
# What a key named "...key" belongs to when it holds a secret (``X-API-Key``, ``client_key``, ``LICENSE_KEY``).
_KEY_OWNERS = ("api", "app", "access", "private", "signing", "encryption", "master", "license", "client")
# Key words by kind. A key ends with one (``DB_PASSWORD``, ``dbPassword``, ``PGPASSWORD``,
# ``client_secret``, ``X-API-Key``, ``_authToken``), so "tokens=" or "secret_name:" are no keys.
_KEYS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("password", r"pass(?:word|wd|phrase)|" + _WORD_START + r"(?P<short>pwd|pass)", ("pass", "pwd")),
    ("secret", r"secret(?:[_\-]?key)?(?:[_\-]?base)?|credentials?", ("secret", "credential")),
    (
        "api-key",
        r"(?:" + "|".join(_KEY_OWNERS) + r")[_\-]?key",
        tuple(f"{o}{s}key" for o in _KEY_OWNERS for s in ("_", "-", "")),
    ),
    ("token", r"token", ("token",)),
)
_SEPARATOR = r"(?P<sep>[ \t]{0,8}(?:=>|:=|=|:)[ \t]{0,8})"
KEY_VALUE_RULES: tuple[Rule, ...] = tuple(
    Rule(
        kind,
        re.compile(r"(?:" + keys + r")[\"']?" + _SEPARATOR + _VALUE, re.IGNORECASE),
        hints,
        pair=True,
    )
    for kind, keys, hints in _KEYS
)
# A JSON key naming a secret: the key words above at the key's end, or the whole key.
_SECRET_KEY = re.compile(
    r"(?:" + "|".join(f"(?P<k{n}>{keys})" for n, (_, keys, _) in enumerate(_KEYS)) + r")[\"']?\Z"
    r"|\A(?P<auth>_?auth|authorization|proxy-authorization|(?:set-)?cookie|x-auth)\Z",
    re.IGNORECASE,
)

EMAIL_RULE = Rule(
    "email",
    re.compile(
        r"(?<![A-Za-z0-9._%+\-/])(?P<secret>[A-Za-z0-9._%+\-]{1,64}+@(?:[A-Za-z0-9\-]{1,63}+\.){1,8}[A-Za-z]{2,24}+)"
        r"(?![A-Za-z0-9\-]|\.[A-Za-z0-9\-])(?!:[\w.~\-]{1,100}/)"  # git@github.com:org/repo is a git remote
    ),
    ("@",),
)
PEM_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----")
PEM_END = re.compile(r"-----END (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----")
BLANK_LINE = re.compile(r"\r?\n[ \t]*\r?\n|\\n\\n")
PRIVATE_KEY_HINT = "private key"


@dataclass(frozen=True)
class RuleSet:
    """The rules in the order they run, and how to tell quickly which of them a text may need.

    The keywords of every rule are found in one scan of the folded text by a pattern matching any
    of them, factored by shared prefixes (as gitleaks does with its keyword automaton). The scan
    reports the longest keyword where one starts and goes on after it, so ``within`` gives for
    each keyword the others it holds, and ``restarts`` the places inside it where another may
    start and run past its end; only those places are looked at again.
    """

    ordered: tuple[Rule, ...]
    by_hint: dict[str, tuple[int, ...]]
    hints: tuple[str, ...]
    scanner: re.Pattern[str]
    within: dict[str, tuple[str, ...]]
    restarts: dict[str, tuple[int, ...]]

    @classmethod
    def of(cls, rules: Iterable[Rule]) -> RuleSet:
        ordered = (*rules, *KEY_VALUE_RULES, EMAIL_RULE)
        by_hint: dict[str, list[int]] = {}
        for n, rule in enumerate(ordered):
            for hint in rule.hints:
                by_hint.setdefault(hint, []).append(n)
        hints = (*sorted(by_hint), PRIVATE_KEY_HINT)
        within = {h: tuple(o for o in hints if o != h and o in h) for h in hints}
        beginnings = {o[:k] for o in hints for k in range(1, len(o))}  # what a keyword may run on from
        restarts = {h: tuple(i for i in range(1, len(h)) if h[i:] in beginnings) for h in hints}
        scanner = re.compile(literal_pattern(hints))
        return cls(ordered, {hint: tuple(ns) for hint, ns in by_hint.items()}, hints, scanner, within, restarts)

    def present(self, folded: str) -> set[str]:
        """The keywords that occur in ``folded``."""
        found: set[str] = set()
        for match in self.scanner.finditer(folded):
            found.add(match.group())
            for offset in self.restarts[match.group()]:
                inner = self.scanner.match(folded, match.start() + offset)
                if inner is not None:
                    found.add(inner.group())
        for hint in list(found):
            found.update(self.within[hint])
        return found

    def needed(self, folded: str) -> tuple[list[int], bool]:
        """The rules whose keywords occur in ``folded`` (in order), and whether a PEM block may."""
        found = self.present(folded)
        numbers = {n for hint in found for n in self.by_hint.get(hint, ())}
        return sorted(numbers), PRIVATE_KEY_HINT in found


@functools.cache
def rule_set() -> RuleSet:
    """The rules of the data file with the key-value and e-mail rules, compiled on first use."""
    return RuleSet.of(load_rules())


def redact(text: str, *, emails: bool = True) -> Redacted:
    """``text`` with every secret (and e-mail address when ``emails``) replaced by a placeholder."""
    rules = rule_set()
    needed, private_key = rules.needed(text.lower())
    if not needed and not private_key:
        return Redacted(text)
    counts: Counter[str] = Counter()
    if private_key:
        text = _private_keys(text, counts)
    pairs_possible = "=" in text or ":" in text
    for n in needed:
        rule = rules.ordered[n]
        if rule.pair:
            if pairs_possible:
                text = rule.pattern.sub(_key_value_replacer(rule.kind, counts), text)
        elif rule is not EMAIL_RULE or emails:
            text = rule.pattern.sub(_replacer(rule, counts), text)
    return Redacted(text, tuple(Finding(kind, n) for kind, n in counts.items()))


def _replacer(rule: Rule, counts: Counter[str]) -> Callable[[re.Match[str]], str]:
    """Replace the match's ``secret`` group, keeping what surrounds it (``Bearer ``, ``user:``, ``@host``)."""
    group = "secret" if "secret" in rule.pattern.groupindex else 0

    def replace(match: re.Match[str]) -> str:
        if rule.check is not None and not rule.check(match.group(group)):
            return match.group(0)
        return _replace_group(match, group, rule.kind, counts)

    return replace


def _key_value_replacer(kind: str, counts: Counter[str]) -> Callable[[re.Match[str]], str]:
    """Replace a key-value pair's value, unless it stands in for one (``${TOKEN}``, ``<your key>``);
    after ``key: `` (prose as often as config), only a value that looks like a secret."""

    def replace(match: re.Match[str]) -> str:
        group = next(name for name in ("dq", "sq", "br", "bare") if match.group(name) is not None)
        value = match.group(group)
        if _STAND_IN.fullmatch(value) or _ORDINARY_TIME.fullmatch(value):
            return match.group(0)
        if "short" in match.re.groupindex and match.group("short") and _ORDINARY_VALUE.fullmatch(value):
            return match.group(0)  # "pass=12 fail=3" counts tests
        if group == "bare" and "=" not in match.group("sep") and not _looks_secret(value):
            return match.group(0)
        return _replace_group(match, group, kind, counts)

    return replace


# A time or date keyed like a secret is still a time ("token=12:30", "secret: 2024-03-01").
_ORDINARY_TIME = re.compile(
    r"\d{1,4}(?:[:\-/]\d{1,2}){1,2}(?:[T ]\d{1,2}(?::\d{2}){1,2}(?:\.\d{1,9})?)?(?:Z|[+\-]\d{2}:?\d{2})?"
)


def _replace_group(match: re.Match[str], group: str | int, kind: str, counts: Counter[str]) -> str:
    counts[kind] += 1
    start, end = match.span(group)
    whole, offset = match.group(0), match.start()
    return whole[: start - offset] + PLACEHOLDER.format(kind=kind) + whole[end - offset :]


def _private_keys(text: str, counts: Counter[str]) -> str:
    """Replace PEM private key blocks, BEGIN to END; a block cut short is replaced up to the next blank line."""
    if "PRIVATE KEY" not in text:
        return text
    parts: list[str] = []
    position = 0
    ends_exist = True
    for begin in PEM_BEGIN.finditer(text):
        if begin.start() < position:
            continue
        end = PEM_END.search(text, begin.end()) if ends_exist else None
        if end is None:
            ends_exist = False
            blank = BLANK_LINE.search(text, begin.end())
            stop = blank.start() if blank else len(text)
        else:
            stop = end.end()
        parts += [text[position : begin.start()], PLACEHOLDER.format(kind="private-key")]
        counts["private-key"] += 1
        position = stop
    parts.append(text[position:])
    return "".join(parts)


# --- structured data -----------------------------------------------------------------------


def secret_key_kind(key: str) -> str | None:
    """The kind of secret a JSON key (or header, or variable name) names, or None.

    ``password``, ``DB_PASSWORD``, ``dbPassword``, ``client_secret``, ``X-API-Key``,
    ``access_token``, ``auth``, ``Authorization``, ``Cookie``: yes. ``tokens``, ``secret_name``,
    ``token_type``, ``key``, ``author``: no.
    """
    match = _SECRET_KEY.search(key)
    if match is None:
        return None
    if match.group("auth"):
        return "cookie" if "cookie" in key.lower() else "token"
    return next(_KEYS[n][0] for n in range(len(_KEYS)) if match.group(f"k{n}") is not None)


def redact_structured(value: Any, *, emails: bool = True) -> tuple[Any, tuple[Finding, ...]]:
    """``value`` (parsed JSON, or pydantic models, lists and dicts) with its secrets redacted.

    Every string is redacted as text; besides, a value under a key that names a secret
    (``{"password": ...}``, ``{"name": "DB_PASSWORD", "value": ...}``) is replaced whatever it
    looks like, as the key says what it is. Only what changed is copied; a model whose JSON
    holds no literal any rule needs is not walked at all.
    """
    if isinstance(value, BaseModel) and not _mentions_hint(value.model_dump_json()):
        return value, ()
    counts: Counter[str] = Counter()
    redacted = _walk(value, emails, counts)
    return redacted, tuple(Finding(kind, n) for kind, n in counts.items())


def redact_model(value: M, *, emails: bool = True) -> tuple[M, tuple[Finding, ...]]:
    """``value`` (a pydantic model, list, dict or string) redacted by :func:`redact_structured`."""
    return redact_structured(value, emails=emails)


def _mentions_hint(text: str) -> bool:
    return rule_set().scanner.search(text.lower()) is not None


def _walk(value: Any, emails: bool, counts: Counter[str]) -> Any:
    if isinstance(value, str):
        result = redact(value, emails=emails)
        counts.update({f.kind: f.count for f in result.findings})
        return result.text if result.changed else value
    if isinstance(value, BaseModel):
        updates = {}
        for name, old in value.__dict__.items():
            if isinstance(old, str | BaseModel | list | tuple | dict):
                new = _walk(old, emails, counts)
                if new is not old:
                    updates[name] = new
        return value.model_copy(update=updates) if updates else value
    if isinstance(value, list | tuple):
        items = [_walk(item, emails, counts) for item in value]
        return type(value)(items) if any(n is not o for n, o in zip(items, value, strict=True)) else value
    if isinstance(value, dict):
        return _walk_dict(value, emails, counts)
    return value


def _walk_dict(value: dict[Any, Any], emails: bool, counts: Counter[str]) -> dict[Any, Any]:
    """A dict with its values walked, and those under a key naming a secret replaced outright."""
    named = _named_secret(value)
    pairs = {}
    for key, item in value.items():
        kind = secret_key_kind(key) if isinstance(key, str) else None
        if kind is None and named is not None and key == "value":
            kind = named
        pairs[key] = _under_secret_key(item, kind, emails, counts) if kind else _walk(item, emails, counts)
    return pairs if any(pairs[key] is not value[key] for key in value) else value


def _named_secret(value: dict[Any, Any]) -> str | None:
    """The kind named by an environment entry such as ``{"name": "DB_PASSWORD", "value": "..."}``."""
    name = value.get("name", value.get("key")) if "value" in value else None
    return secret_key_kind(name) if isinstance(name, str) else None


def _under_secret_key(item: Any, kind: str, emails: bool, counts: Counter[str]) -> Any:
    """A value a key names as a secret: a string or number is replaced; containers are walked
    (a list's strings and numbers replaced, a dict's keys judged one by one); nothing stays nothing."""
    if isinstance(item, bool) or item is None or item == "":
        return item
    if isinstance(item, str) and item.startswith("[REDACTED:") and item.endswith("]"):
        return item
    if isinstance(item, str | int | float):
        counts[kind] += 1
        return PLACEHOLDER.format(kind=kind)
    if isinstance(item, list | tuple):
        items = [_under_secret_key(element, kind, emails, counts) for element in item]
        return type(item)(items) if any(n is not o for n, o in zip(items, item, strict=True)) else item
    return _walk(item, emails, counts)


def describe(findings: Iterable[Finding]) -> str:
    """``2 github-token, 1 email``: what was redacted, for a log line."""
    return ", ".join(f"{f.count} {f.kind}" for f in findings)


def redacted_logged(value: M, *, emails: bool = True, where: str = "input") -> M:
    """:func:`redact_structured`, logging one warning that names the kinds and counts found in ``where``."""
    redacted, findings = redact_structured(value, emails=emails)
    if findings:
        log.warning("redacted from %s before use: %s", where, describe(findings))
    return redacted


def redact_records(records: Iterable[M], *, emails: bool = True) -> list[M]:
    """Memory records (or any models) with their texts redacted, before they are embedded and stored.

    One warning names what was redacted across all of them.
    """
    return redacted_logged(list(records), emails=emails, where="the memory records")


def redact_document(text: str, *, emails: bool = True) -> Redacted:
    """A document as received (JSON or plain text) with its secrets redacted, still a valid document.

    JSON is redacted by :func:`redact_structured` (so ``{"password": "x"}`` loses its value too)
    and written back, so a placeholder can never break its quoting; anything else is redacted as text.
    """
    if json_depth(text) > MAX_JSON_DEPTH:  # the walk below recurses: too deep a document is redacted as text
        return redact(text, emails=emails)
    try:
        data = json.loads(text)
    except ValueError:
        return redact(text, emails=emails)
    cleaned, findings = redact_structured(data, emails=emails)
    if cleaned is data:
        return Redacted(text=text, findings=())
    return Redacted(text=json.dumps(cleaned, ensure_ascii=False), findings=findings)


def redact_echo(value: object) -> str:
    """``value`` as an error message quotes it (its ``repr``), with any secret in it redacted.

    For messages that echo what the user sent: the echo must not carry a secret to a terminal,
    a log, or a failed job on disk.
    """
    return redact(repr(value)).text
