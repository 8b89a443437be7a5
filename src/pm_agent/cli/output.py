"""Writing results: JSON or text to stdout or a file, and a progress bar on terminals."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from pm_agent.errors import InputError

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


def read_text_arg(path: str, limit: int | None = None) -> str:
    """Read a file argument, ``-`` meaning standard input, as UTF-8 text of at most ``limit`` bytes.

    At most ``limit + 1`` bytes are read, so an endless stream (``/dev/zero``, a pipe that never
    closes its end early) is refused instead of filling the memory.
    """
    from pm_agent.settings import Settings

    limit = Settings().max_input_bytes if limit is None else limit
    source = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError("no such file", source=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", source=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=path) from None
    if len(data) > limit:
        raise InputError(
            f"over the limit of {limit:,} bytes; send a shorter text, or raise PM_AGENT_MAX_INPUT_BYTES", source=source
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=source) from None


def progress(items: Iterable[T], total: int, label: str, stream=None) -> Iterator[T]:
    """Yield ``items`` while drawing a bar on stderr, only when stderr is a terminal."""
    stream = stream or sys.stderr
    show = total > 0 and hasattr(stream, "isatty") and stream.isatty()
    for done, item in enumerate(items, start=1):
        yield item
        if show:
            width = 30
            filled = int(width * done / total)
            stream.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            stream.flush()
    if show:
        stream.write("\n")
        stream.flush()
