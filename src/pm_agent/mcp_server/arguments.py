"""What a tool says when its arguments are wrong: which argument, what was expected, what to send.

The SDK answers a bad argument with pydantic's multi-line report and ignores names it does not
know. A model fixes its call faster from one line per problem ("argument 'paths': expected a list
of strings, got an integer (5); send ..."), and a misspelt name must be refused, or the tool runs
as if the argument had not been given. Every value echoed back is cut to :data:`ECHO_LIMIT`
characters, so a megabyte-long id does not come back whole.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

ECHO_LIMIT = 200
FLAG_WORDING = (
    (re.compile(r"\bpass --date\b"), "send the 'date' argument"),
    (re.compile(r"\bor use --backend (\w+)"), r"or set PM_AGENT_BACKEND=\1"),
    (re.compile(r"\bor run with --backend (\w+)"), r"or set PM_AGENT_BACKEND=\1"),
    (re.compile(r"\bpass --backend (\w+)"), r"set PM_AGENT_BACKEND=\1"),
    (re.compile(r"--backend (\w+)"), r"PM_AGENT_BACKEND=\1"),
    (re.compile(r"--(date|timezone)\b"), r"'\1'"),
)


def clip(value: str, limit: int = ECHO_LIMIT) -> str:
    """``value``, or its first ``limit`` characters and how long it was."""
    return value if len(value) <= limit else f"{value[:limit]}…({len(value)} chars)"


def shown(value: Any) -> str:
    """A value as a message quotes it: its repr, clipped."""
    return clip(repr(value))


def clipped_message(message: str, arguments: Mapping[str, Any]) -> str:
    """``message`` with every long string argument it echoes cut down, and with no CLI flag named.

    Service errors quote what they were given (an id, a path, a line of the data); here the long
    ones are clipped wherever they appear, and a message still too long is cut at the end.
    """
    for value in sorted(long_strings(arguments), key=len, reverse=True):
        message = message.replace(value, clip(value))
    return clip(mcp_wording(message), ECHO_LIMIT * 5)


def long_strings(value: Any) -> list[str]:
    """Every string longer than :data:`ECHO_LIMIT` inside an argument value (lists and objects included)."""
    if isinstance(value, str):
        return [value] if len(value) > ECHO_LIMIT else []
    if isinstance(value, Mapping):
        return [s for key, item in value.items() for s in long_strings(key) + long_strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in long_strings(item)]
    return []


def mcp_wording(message: str) -> str:
    """A service message with the CLI's flags replaced by what an MCP caller sets instead."""
    for pattern, replacement in FLAG_WORDING:
        message = pattern.sub(replacement, message)
    return message


def unknown_arguments(tool: str, arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> str | None:
    """The refusal for argument names ``tool`` does not take (each with the closest valid name), or None."""
    valid = list(schema.get("properties", {}))
    unknown = [name for name in arguments if name not in valid]
    if not unknown:
        return None
    problems = []
    for name in unknown:
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(f"unknown argument {clip(name, 60)!r}{hint}")
    return f"{'; '.join(problems)}. {tool} takes: {', '.join(valid)}."


def validation_message(error: ValidationError, schema: Mapping[str, Any]) -> str:
    """One line per invalid argument: which one, what it expected, what it got, what to send."""
    lines = [problem_line(problem, schema) for problem in error.errors(include_url=False)]
    return "; ".join(dict.fromkeys(lines)) + "."


def problem_line(problem: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    location = [str(part) for part in problem.get("loc", ())]
    name = location[0] if location else "?"
    where = ".".join(location)
    spec = schema.get("properties", {}).get(name, {})
    expected = expectation(spec, schema.get("$defs", {})) if len(location) == 1 else ""
    if problem.get("type") == "missing":
        return f"argument {where!r} is missing; send {expected or 'it'}"
    got = problem.get("input")
    reason = str(problem.get("msg", "is invalid")).replace("Input should be", "expected")
    if reason.startswith("Value error, "):
        reason = reason.removeprefix("Value error, ")
    sent = f"got {_kind(got)} {shown(got)}" if not isinstance(got, Mapping) else f"got {_kind(got)}"
    advice = f"; send {expected}" if expected else ""
    return f"argument {where!r}: {reason[:1].lower()}{reason[1:]}, {sent}{advice}"


def expectation(spec: Mapping[str, Any], defs: Mapping[str, Any]) -> str:
    """What a property's schema asks for, in words ("a list of strings", "one of 'markdown', 'json'")."""
    if "$ref" in spec:
        spec = defs.get(spec["$ref"].rsplit("/", 1)[-1], {})
    if "anyOf" in spec:
        arms = [expectation(arm, defs) for arm in spec["anyOf"] if arm.get("type") != "null"]
        return " or ".join(arm for arm in arms if arm)
    if "enum" in spec:
        return "one of " + ", ".join(repr(value) for value in spec["enum"])
    kind = spec.get("type")
    if kind == "array":
        items = expectation(spec.get("items", {}), defs)
        least = spec.get("minItems")
        count = f" (at least {least})" if least else ""
        return f"a list{count} of {_plural(items) if items else 'values'}"
    if kind == "object":
        values = spec.get("additionalProperties")
        if isinstance(values, Mapping) and values.get("type") == "string":
            return "an object of string values"
        return "an object"
    if kind == "integer":
        low, high = spec.get("minimum"), spec.get("maximum")
        return f"an integer from {low} to {high}" if low is not None and high is not None else "an integer"
    if kind == "string":
        if spec.get("format") == "date":
            return "a date like 2024-03-01"
        return "a non-empty string" if spec.get("minLength") else "a string"
    return {"boolean": "true or false", "number": "a number"}.get(kind or "", "")


def _plural(noun: str) -> str:
    """ "a string" -> "strings", "an object or a string" -> "objects or strings"."""
    words = []
    for part in noun.split(" or "):
        part = part.removeprefix("a ").removeprefix("an ")
        words.append(part if part.endswith("s") else part + "s")
    return " or ".join(words)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)
