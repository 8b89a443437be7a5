"""Writing results: JSON or text to stdout or a file; colour, progress bars and spinners on stderr when it is a
terminal."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO, TypeVar

from pydantic import BaseModel

from pm_agent.errors import InputError
from pm_agent.ingest.files import cannot_read, check_input_size, read_input_file

T = TypeVar("T")


def to_json(value: object) -> str:
    """Pretty JSON for a model, a list of models or plain data."""
    if isinstance(value, BaseModel):
        return value.model_dump_json(indent=2)
    if isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
        return json.dumps([v.model_dump(mode="json") for v in value], indent=2)
    return json.dumps(value, indent=2, default=str)


def emit(text: str, out: str | None = None) -> None:
    """Print ``text`` or write it to ``out`` (``-`` means stdout)."""
    if not text.endswith("\n"):
        text += "\n"
    if out and out != "-":
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write output: {exc.strerror}", source=out) from None
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def read_text_arg(path: str, limit: int) -> str:
    """Read a file argument, ``-`` meaning standard input, as UTF-8 text of at most ``limit`` bytes (the
    service's ``settings.max_input_bytes``).

    At most ``limit + 1`` bytes are read, so an endless stream (``/dev/zero``, a pipe that never
    closes its end early) is refused instead of filling the memory.
    """
    if path != "-":
        data = read_input_file(path, limit, streams=True)
    else:
        try:
            data = sys.stdin.buffer.read(limit + 1)
        except OSError as exc:
            raise cannot_read(exc, "<stdin>") from None
        check_input_size(len(data), "<stdin>", limit, capped=True)
    source = "<stdin>" if path == "-" else path
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=source) from None


def terminal(stream: TextIO | None = None):
    """A rich console on ``stream`` (stderr by default) when it is an interactive terminal, else None.

    Everything decorative (colour, progress bars, spinners) goes through this one check, so output that is piped
    or redirected stays plain text, and stdout, which carries the result, is never touched. ``NO_COLOR`` (any
    non-empty value, https://no-color.org) keeps the terminal plain too; ``TERM=dumb`` keeps colour but no animation.
    """
    stream = stream or sys.stderr
    if os.environ.get("NO_COLOR") or not (hasattr(stream, "isatty") and stream.isatty()):
        return None
    from rich.console import Console

    console = Console(file=stream, highlight=False, soft_wrap=True)
    return console if console.is_terminal else None


def progress(
    items: Iterable[T], total: int, label: str, stream: TextIO | None = None, describe: Callable[[T], str] | None = None
) -> Iterator[T]:
    """Yield ``items`` while drawing a progress bar on stderr, only when stderr is a terminal; ``describe`` names the
    item being worked on beside the label."""
    console = terminal(stream)
    if console is None or total <= 0 or console.is_dumb_terminal:
        yield from items
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, refresh_per_second=4, redirect_stdout=False) as bar:
        task = bar.add_task(label, total=total)
        for item in items:
            if describe is not None:
                bar.update(task, description=f"{label}: {describe(item)}")
            yield item
            bar.advance(task)


@contextlib.contextmanager
def working(label: str, stream: TextIO | None = None) -> Iterator[None]:
    """A spinner saying what is being done, on stderr, while the block runs; nothing when stderr is not a terminal."""
    console = terminal(stream)
    if console is None or console.is_dumb_terminal:
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    # stdout is never redirected: it carries the result, and must not pass through the display on stderr
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        refresh_per_second=4,
        redirect_stdout=False,
    ) as spinner:
        spinner.add_task(label, total=None)
        yield


MESSAGE_STYLES = {
    "error": "bold red",
    "ERROR": "bold red",
    "warning": "yellow",
    "WARNING": "yellow",
    "note": "cyan",
    "skipped": "yellow",
}


def say(kind: str | None, message: str, stream: TextIO | None = None) -> None:
    """``pm-agent: <kind>: <message>`` on stderr, the kind in colour on a terminal, plain otherwise; without a
    ``kind``, ``pm-agent: <message>`` (a status line such as ``pm-agent: watch stopped``)."""
    stream = stream or sys.stderr
    console = terminal(stream)
    if console is None:
        print(f"pm-agent: {kind}: {message}" if kind else f"pm-agent: {message}", file=stream, flush=True)
        return
    from rich.text import Text

    styled = (f"{kind}:", MESSAGE_STYLES.get(kind, "bold")) if kind else ""
    console.print(Text.assemble("pm-agent: ", styled, " " if kind else "", message))
