"""Prompt templates: files in ``prompts/`` with declared variables and data blocks.

A template is Markdown with a small header::

    ---
    description: What the prompt asks for.
    variables: incident_date, max_depth
    data: incident, offline_draft
    ---
    Stable instructions (the system prompt, sent with cache control).
    <!-- task -->
    The task for this call (the user turn), e.g. "Due dates are on or after {{incident_date}}."

``{{name}}`` is a declared variable; rendering without one, or with one the header does not
declare, is a :class:`PromptError`. Untrusted text (incident events, chat logs, a user's draft)
never goes into a variable: it goes into a named *data block*, wrapped in ``<data name="...">``
delimiters that the shared preamble (``prompts/_preamble.md``) tells the model are never
instructions. A closing delimiter inside the data is neutralised, so data cannot break out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pm_agent.errors import PromptError
from pm_agent.settings import CHECKOUT_DIR, PACKAGE_DIR

TASK_MARKER = "<!-- task -->"
PREAMBLE = "_preamble"
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
CLOSING_DELIMITER = re.compile(r"</\s*data", re.IGNORECASE)


@dataclass(frozen=True)
class PromptTemplate:
    """A parsed template: its declared variables and data blocks, the system part and the task part."""

    name: str
    description: str
    variables: tuple[str, ...]
    data: tuple[str, ...]
    system: str
    task: str


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt ready to send: the stable system text, the delimited data and the task."""

    name: str
    system: str
    data: str
    task: str

    @property
    def user(self) -> str:
        """The whole user turn as one text: data first, then the task (for backends with one text)."""
        return f"{self.data}\n\n{self.task}" if self.data else self.task


def prompt_file(name: str) -> Path:
    """The file of prompt ``name``: the wheel's ``pm_agent/prompts/`` first, then the checkout's."""
    filename = f"{name}.md"
    try:
        from pm_agent.resources import resource_path  # type: ignore[import-not-found]
    except ImportError:
        for folder in (PACKAGE_DIR / "prompts", CHECKOUT_DIR / "prompts"):
            if (folder / filename).is_file():
                return folder / filename
        raise PromptError(f"prompt {name!r} not found: no prompts/{filename} in the package or the checkout") from None
    try:
        path = Path(resource_path(filename))
    except (FileNotFoundError, LookupError, ValueError) as exc:
        raise PromptError(f"prompt {name!r} not found: {exc}") from None
    if not path.is_file():
        raise PromptError(f"prompt {name!r} not found: {path} does not exist")
    return path


@lru_cache(maxsize=32)
def load_prompt(name: str) -> PromptTemplate:
    """The template in ``prompts/<name>.md``."""
    return parse_template(name, prompt_file(name).read_text(encoding="utf-8"))


def parse_template(name: str, text: str) -> PromptTemplate:
    """Parse a template's text; checks that every ``{{variable}}`` used is declared."""
    header, body = _split_header(name, text)
    system, marker, task = body.partition(TASK_MARKER)
    if not marker:
        raise PromptError(f"prompt {name!r} has no {TASK_MARKER} line between its instructions and its task")
    template = PromptTemplate(
        name=name,
        description=header.get("description", ""),
        variables=_names(header.get("variables", "")),
        data=_names(header.get("data", "")),
        system=system.strip(),
        task=task.strip(),
    )
    used = set(VARIABLE.findall(template.system)) | set(VARIABLE.findall(template.task))
    undeclared = sorted(used - set(template.variables))
    if undeclared:
        raise PromptError(f"prompt {name!r} uses undeclared variables: {', '.join(undeclared)}")
    return template


def render_prompt(name: str, variables: Mapping[str, object], data: Mapping[str, str]) -> RenderedPrompt:
    """Fill ``prompts/<name>.md``: every declared variable and data block must be given, nothing else."""
    template = load_prompt(name)
    _check_names(name, "variable", template.variables, variables)
    _check_names(name, "data block", template.data, data)
    values = {key: str(value) for key, value in variables.items()}

    def fill(text: str) -> str:
        return VARIABLE.sub(lambda m: values[m.group(1)], text)

    preamble = load_prompt(PREAMBLE).system if name != PREAMBLE else ""
    system = "\n\n".join(part for part in (preamble, fill(template.system)) if part)
    blocks = "\n\n".join(delimit(block, data[block]) for block in template.data)
    return RenderedPrompt(name=name, system=system, data=blocks, task=fill(template.task))


def delimit(name: str, text: str) -> str:
    """``text`` as a data block the model must read as data; a ``</data`` inside it is neutralised."""
    safe = CLOSING_DELIMITER.sub(lambda m: m.group(0).replace("</", "<\\/"), text)
    return f'<data name="{name}">\n{safe}\n</data>'


def _split_header(name: str, text: str) -> tuple[dict[str, str], str]:
    if not text.startswith("---\n"):
        raise PromptError(f"prompt {name!r} has no '---' header declaring its variables")
    header_text, sep, body = text[4:].partition("\n---\n")
    if not sep:
        raise PromptError(f"prompt {name!r} has an unterminated '---' header")
    header = {}
    for line in header_text.splitlines():
        key, colon, value = line.partition(":")
        if colon:
            header[key.strip()] = value.strip()
    return header, body


def _names(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.strip("[]").split(",") if part.strip())


def _check_names(prompt: str, kind: str, declared: tuple[str, ...], given: Mapping[str, object]) -> None:
    missing = [n for n in declared if n not in given]
    if missing:
        raise PromptError(f"prompt {prompt!r} needs {kind} {', '.join(missing)}, which was not given")
    extra = sorted(set(given) - set(declared))
    if extra:
        raise PromptError(f"prompt {prompt!r} does not declare {kind} {', '.join(extra)}")
