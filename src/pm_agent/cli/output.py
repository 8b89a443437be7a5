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


def read_text_arg(path: str) -> str:
    """Read a file argument, ``-`` meaning standard input."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", source=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", source=path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=path) from None


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
