"""Files pm-agent ships beside its code: the rubric and the prompt templates in ``prompts/``.

An installed wheel carries them at ``pm_agent/prompts``; a source checkout keeps them in the
repository's ``prompts/`` folder. Every reader finds them through :func:`resource_path`, so
both layouts work and a missing file is reported the same way everywhere.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path, PurePosixPath

from pm_agent.errors import PromptError

CHECKOUT_PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


def resource_path(name: str) -> Path:
    """The path of ``prompts/<name>`` (e.g. ``rubric.json``): the packaged copy first, then the checkout's.

    Raises :class:`PromptError` naming the file when neither exists, or when ``name`` tries to
    leave the prompts folder.
    """
    relative = PurePosixPath(name)
    if not name or relative.is_absolute() or ".." in relative.parts:
        raise PromptError(f"invalid prompt file name {name!r}: give a path inside prompts/, such as 'rubric.json'")
    candidates = [CHECKOUT_PROMPTS.joinpath(*relative.parts)]
    packaged = resources.files("pm_agent").joinpath("prompts", *relative.parts)
    if isinstance(packaged, Path):
        candidates.insert(0, packaged)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise PromptError(f"prompt file {name!r} is missing (looked in {looked}); reinstall pm-agent")
