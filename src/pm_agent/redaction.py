"""Redaction of secrets (and, by default, e-mail addresses) before text reaches a model or the memory.

Incident data is pasted from chat, pages and logs, so it carries what those carry: cloud keys,
chat and CI tokens, passwords inside connection strings. :func:`redact` replaces each with a
placeholder naming what was there (``[REDACTED:github-token]``) and reports kinds and counts,
never the value. Precision matters as much as recall: timestamps, durations, figures, versions,
IP addresses, SHAs, UUIDs and incident ids are left byte for byte.

Every pattern is linear in the text: matches start only at word boundaries or literal prefixes,
repeats are bounded, and a rule runs only when one of its literal hints occurs in the text.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

log = logging.getLogger("pm_agent.redaction")
M = TypeVar("M")
PLACEHOLDER = "[REDACTED:{kind}]"
NOT_PLACEHOLDER = r"(?!\[REDACTED:)"


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

    ``hints`` are literals (compared in lower case) one of which any match contains, so the
    pattern runs only on texts that could hold it. ``check`` may still turn down a match.
    """

    kind: str
    pattern: re.Pattern[str]
    hints: tuple[str, ...]
    check: Callable[[str], bool] | None = None


def _rule(
    kind: str, pattern: str, hints: tuple[str, ...], *, ignore_case: bool = False, check: Callable[[str], bool] | None = None
) -> Rule:
    flags = re.IGNORECASE if ignore_case else 0
    return Rule(kind, re.compile(pattern, flags), tuple(h.lower() for h in hints), check=check)


def _has_digit(value: str) -> bool:
    return any(c.isdigit() for c in value)


# A quoted ("", '', or ODBC's {}) or bare value after ``key=`` / ``key: ``; never an earlier placeholder.
_VALUE = (
    r"""(?:"(?!\[REDACTED:)(?P<dq>[^"\r\n]{1,512})"|'(?!\[REDACTED:)(?P<sq>[^'\r\n]{1,512})'"""
    + r"|\{(?!\[REDACTED:)(?P<br>[^}\r\n]{1,512})\}"
    + r"|(?!\{?\[REDACTED:)" + r"""(?P<bare>[^\s;,&"'<>]{1,512}))"""
)
_TOKEN_CHARS = r"[A-Za-z0-9_\-+./=~]"

RULES: tuple[Rule, ...] = (
    _rule("aws-access-key", r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b", ("AKIA", "ASIA", "ABIA", "ACCA")),
    _rule(
        "aws-secret-key",
        r"\b(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key)[\"']?\s{0,8}[=:]\s{0,8}[\"']?"
        + NOT_PLACEHOLDER + r"(?P<secret>[A-Za-z0-9/+=]{20,128})(?![A-Za-z0-9/+=])",
        ("secret_access_key", "secretaccesskey", "secret_key", "secretkey"),
        ignore_case=True,
    ),
    _rule("gcp-api-key", r"\b(?P<secret>AIza[0-9A-Za-z_\-]{35})(?![0-9A-Za-z_\-])", ("AIza",)),
    _rule(
        "azure-key",
        r"\b(?:AccountKey|SharedAccessKey)=" + NOT_PLACEHOLDER + r"(?P<secret>[A-Za-z0-9+/=]{16,512})",
        ("accountkey=", "sharedaccesskey="),
        ignore_case=True,
    ),
    _rule("azure-sas-signature", r"[?&]sig=" + NOT_PLACEHOLDER + r"(?P<secret>[A-Za-z0-9%+/=]{16,512})", ("sig=",)),
    _rule("github-token", r"\b(?P<secret>gh[pousr]_[A-Za-z0-9]{36,255})\b", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    _rule("github-token", r"\b(?P<secret>github_pat_[A-Za-z0-9_]{22,255})\b", ("github_pat_",)),
    _rule(
        "slack-webhook",
        r"\bhttps://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9_/]{8,300})",
        ("hooks.slack.com",),
    ),
    _rule("slack-token", r"\b(?P<secret>xox[abposr]-[A-Za-z0-9-]{10,250})", ("xox",)),
    _rule("slack-token", r"\b(?P<secret>xapp-\d-[A-Za-z0-9-]{10,250})", ("xapp-",)),
    _rule(
        "stripe-key",
        r"\b(?P<secret>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247})\b",
        ("sk_live_", "rk_live_", "sk_test_", "rk_test_"),
    ),
    _rule(
        "jwt",
        r"\b(?P<secret>eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{0,4096})",
        ("eyJ",),
    ),
    _rule(
        "pagerduty-key",
        r"\bToken\s{1,8}token=" + NOT_PLACEHOLDER + r"(?P<secret>[A-Za-z0-9_\-+]{16,128})",
        ("token=",),
        ignore_case=True,
    ),
    _rule(
        "pagerduty-key",
        r"\b(?:routing|integration|service)_key[\"']?\s{0,8}[=:]\s{0,8}[\"']?" + NOT_PLACEHOLDER
        + r"(?P<secret>[A-Za-z0-9]{20,64})\b",
        ("routing_key", "integration_key", "service_key"),
        ignore_case=True,
    ),
    _rule(
        "bearer-token",
        r"\bBearer\s{1,8}" + NOT_PLACEHOLDER + r"(?P<secret>" + _TOKEN_CHARS + r"{16,4096})",
        ("bearer",),
        ignore_case=True,
        check=_has_digit,
    ),
    _rule(
        "basic-auth",
        r"\bAuthorization\s{0,8}:\s{0,8}Basic\s{1,8}" + NOT_PLACEHOLDER + r"(?P<secret>[A-Za-z0-9+/=]{8,1024})",
        ("basic",),
        ignore_case=True,
    ),
    _rule(
        "url-password",
        r"\b[a-z][a-z0-9+.\-]{1,20}://[^\s:/@\"'<>\[\]]{0,256}:" + NOT_PLACEHOLDER
        + r"(?P<secret>[^\s/\"'<>]{1,256})@(?=[A-Za-z0-9\[])",
        ("://",),
        ignore_case=True,
    ),
)

# Key-value pairs whose key names a secret: ``Password=...;``, ``"api_key": "..."``, ``pwd=...``.
_KEYS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("password", r"password|passwd|pwd", ("password", "passwd", "pwd")),
    ("secret", r"secret_key|secret", ("secret",)),
    ("api-key", r"api[_-]?key", ("api_key", "api-key", "apikey")),
    ("token", r"token", ("token",)),
)
# ``DB_PASSWORD``, ``client_secret``, ``X-API-Key``, ``access_token``: a key may carry a few prefixes.
_KEY_PREFIX = r"(?:[A-Za-z0-9]{1,30}[_\-]){0,3}"
KEY_VALUE_RULES: tuple[Rule, ...] = tuple(
    _rule(
        kind,
        r"(?<![A-Za-z0-9_\-])" + _KEY_PREFIX + "(?:" + keys + r")[\"']?(?P<sep>[ \t]{0,8}=[ \t]{0,8}|[ \t]{0,8}:[ \t]{0,8})"
        + _VALUE,
        hints,
        ignore_case=True,
    )
    for kind, keys, hints in _KEYS
)
EMAIL_RULE = _rule(
    "email",
    r"(?<![A-Za-z0-9._%+\-])(?P<secret>[A-Za-z0-9._%+\-]{1,64}+@(?:[A-Za-z0-9\-]{1,63}+\.){1,8}[A-Za-z]{2,24}+)"
    r"(?![A-Za-z0-9\-])",
    ("@",),
)
PEM_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----")
PEM_END = re.compile(r"-----END (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----")
BLANK_LINE = re.compile(r"\r?\n[ \t]*\r?\n|\\n\\n")
# The rules in the order they run, and for each literal the positions of the rules needing it:
# a text is scanned once for the literals, then only the rules whose literal occurs run.
ORDERED: tuple[Rule, ...] = (*RULES, *KEY_VALUE_RULES, EMAIL_RULE)
PAIRS = frozenset(range(len(RULES), len(RULES) + len(KEY_VALUE_RULES)))
RULES_BY_HINT: dict[str, tuple[int, ...]] = {
    hint: tuple(n for n, rule in enumerate(ORDERED) if hint in rule.hints) for rule in ORDERED for hint in rule.hints
}
HINTS: tuple[str, ...] = (*sorted(RULES_BY_HINT), "private key")


def redact(text: str, *, emails: bool = True) -> Redacted:
    """``text`` with every secret (and e-mail address when ``emails``) replaced by a placeholder."""
    folded = text.lower()
    present = [hint for hint in HINTS if hint in folded]
    if not present:
        return Redacted(text)
    counts: Counter[str] = Counter()
    if "private key" in present:
        text = _private_keys(text, counts)
    pairs_possible = "=" in text or ":" in text
    for n in sorted({n for hint in present for n in RULES_BY_HINT.get(hint, ())}):
        rule = ORDERED[n]
        if n in PAIRS:
            if pairs_possible:
                text = rule.pattern.sub(_key_value_replacer(rule.kind, counts), text)
        elif rule is not EMAIL_RULE or emails:
            text = rule.pattern.sub(_replacer(rule, counts), text)
    return Redacted(text, tuple(Finding(kind, n) for kind, n in counts.items()))


def _replacer(rule: Rule, counts: Counter[str]) -> Callable[[re.Match[str]], str]:
    """Replace the match's ``secret`` group, keeping what surrounds it (``Bearer ``, ``user:``, ``@host``)."""

    def replace(match: re.Match[str]) -> str:
        if rule.check is not None and not rule.check(match.group("secret")):
            return match.group(0)
        return _replace_group(match, "secret", rule.kind, counts)

    return replace


def _key_value_replacer(kind: str, counts: Counter[str]) -> Callable[[re.Match[str]], str]:
    """Replace a key-value pair's value; after ``key: `` in prose, only a value that looks like a secret."""

    def replace(match: re.Match[str]) -> str:
        group = next(name for name in ("dq", "sq", "br", "bare") if match.group(name) is not None)
        if group == "bare" and "=" not in match.group("sep") and not _looks_secret(match.group(group)):
            return match.group(0)
        return _replace_group(match, group, kind, counts)

    return replace


def _replace_group(match: re.Match[str], group: str, kind: str, counts: Counter[str]) -> str:
    counts[kind] += 1
    start, end = match.span(group)
    whole, offset = match.group(0), match.start()
    return whole[: start - offset] + PLACEHOLDER.format(kind=kind) + whole[end - offset :]


def _looks_secret(value: str) -> bool:
    """A bare word after ``password:`` is a secret when it mixes in digits or symbols ("hunter2", not "rotated")."""
    return len(value) >= 6 and any(not c.isalpha() for c in value) and not value.rstrip(".").isdigit()


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


def redact_model(value: M, *, emails: bool = True) -> tuple[M, tuple[Finding, ...]]:
    """``value`` (a pydantic model, list, dict or string) with every string in it redacted.

    Only what changed is copied, so a clean 10,000-event incident comes back as the same object;
    a model whose JSON holds no literal any rule needs is not walked at all.
    """
    if isinstance(value, BaseModel) and not _mentions_hint(value.model_dump_json()):
        return value, ()
    counts: Counter[str] = Counter()
    redacted = _walk(value, emails, counts)
    return redacted, tuple(Finding(kind, n) for kind, n in counts.items())


def _mentions_hint(text: str) -> bool:
    folded = text.lower()
    return any(hint in folded for hint in HINTS)


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
        pairs = {key: _walk(item, emails, counts) for key, item in value.items()}
        return pairs if any(pairs[key] is not value[key] for key in value) else value
    return value


def describe(findings: Iterable[Finding]) -> str:
    """``2 github-token, 1 email``: what was redacted, for a log line."""
    return ", ".join(f"{f.count} {f.kind}" for f in findings)


def redacted_logged(value: M, *, emails: bool = True, where: str = "input") -> M:
    """:func:`redact_model`, logging one warning that names the kinds and counts found in ``where``."""
    redacted, findings = redact_model(value, emails=emails)
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

    JSON is redacted value by value and written back, so a placeholder can never break its quoting;
    anything else is redacted as text.
    """
    from pm_agent.errors import InputError
    from pm_agent.ingest.limits import check_json_depth

    try:
        check_json_depth(text, "document")  # the walk below recurses: too deep a document is redacted as text
        data = json.loads(text)
    except (ValueError, InputError):
        return redact(text, emails=emails)
    counts: Counter[str] = Counter()
    cleaned = _walk(data, emails, counts)
    if cleaned is data:
        return Redacted(text=text, findings=())
    findings = tuple(Finding(kind, n) for kind, n in counts.items())
    return Redacted(text=json.dumps(cleaned, ensure_ascii=False), findings=findings)
