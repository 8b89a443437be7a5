"""How deeply a JSON text nests, counted on the text before it is decoded.

Kept free of pm-agent imports: redaction needs it too, and the error hierarchy redacts what it
echoes, so a dependency on :mod:`pm_agent.errors` here would close an import cycle.
"""

from __future__ import annotations

import re

MAX_JSON_DEPTH = 64  # incident formats nest under 10 levels; Slack's richest blocks about 12

# A whole string (an unclosed one runs to the end: never a rescan from every quote), or one bracket.
_JSON_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]')


def json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> int:
    """The deepest nesting of brackets in ``text``, not counting brackets inside strings.

    Counted with no recursion, so a document of 100,000 nested lists costs a scan, not the stack.
    Returns at once when the text has no more brackets than ``limit``: it cannot be deeper.
    """
    if text.count("[") + text.count("{") <= limit:
        return 0  # cannot be deeper than the brackets it has; the exact figure is not needed
    depth = deepest = 0
    for match in _JSON_STRUCTURE.finditer(text):
        mark = match.group()
        if mark in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif mark in "]}":
            depth -= 1
    return deepest
