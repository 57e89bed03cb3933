"""What the Ollama-compatible server says about the model it serves: ``/api/tags``, ``/api/show``, ``/api/ps``.

Built from the backend's ``describe()`` (asked once): its sha256 or digest, family, quantization, size and
accelerator. ``/api/ps`` lists the model once it has answered a request, as Ollama lists a loaded model.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from typing import Any

from pytest_chimera.backends.base import Backend
from pytest_chimera.version import __version__


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def normalize_model_name(name: str) -> str:
    """Ollama's name rule: a name without a tag means ``:latest``."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


class ServedModels:
    """The served model names over one backend, and its identity as Ollama's API reports it."""

    def __init__(self, backend: Backend, models: list[str]) -> None:
        self.backend = backend
        self.models = models
        self._describe: dict[str, Any] | None = None
        self._modified_at = _now()
        self.loaded_at: str | None = None  # when the model first answered: from then on /api/ps lists it

    def serves(self, name: str) -> bool:
        """Whether ``name`` (``gemma3`` means ``gemma3:latest``) is one of the served models."""
        wanted = normalize_model_name(name)
        return any(normalize_model_name(m) == wanted for m in self.models)

    def identity(self) -> dict[str, Any]:
        """The backend's ``describe()``, asked once."""
        if self._describe is None:
            try:
                self._describe = dict(self.backend.describe())
            except Exception as exc:  # identity is decoration; a failing describe must not break serving
                self._describe = {"describe_error": str(exc)}
        return self._describe

    def digest(self, name: str) -> str:
        """The model's digest: the backend's sha256 or digest, else a hash of its description."""
        info = self.identity()
        for key in ("digest", "sha256"):
            value = info.get(key)
            if isinstance(value, str) and value:
                return value.removeprefix("sha256:")
        blob = json.dumps({"model": name, **info}, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()

    def details(self) -> dict[str, Any]:
        info = self.identity()
        family = str(info.get("family") or info.get("architecture") or "")
        return {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family] if family else None,
            "parameter_size": str(info.get("parameter_size") or ""),
            "quantization_level": str(info.get("quantization") or info.get("quantization_level") or ""),
        }

    def tags(self) -> dict[str, Any]:
        size = self.identity().get("size_bytes") or self.identity().get("size") or 0
        return {
            "models": [
                {
                    "name": normalize_model_name(m),
                    "model": normalize_model_name(m),
                    "modified_at": self._modified_at,
                    "size": size if isinstance(size, int) else 0,
                    "digest": self.digest(m),
                    "details": self.details(),
                }
                for m in self.models
            ]
        }

    def size(self) -> int:
        """The model's size in bytes: the backend's ``size_bytes``, else its model file's size, else 0."""
        info = self.identity()
        size = info.get("size_bytes") or info.get("size")
        if isinstance(size, int) and not isinstance(size, bool):
            return size
        path = info.get("model_path")
        try:
            return os.path.getsize(path) if isinstance(path, str) else 0
        except OSError:
            return 0

    def ps(self) -> dict[str, Any]:
        """``/api/ps``: the served model once it has answered; on a GPU (the backend's accelerator says so)
        ``size_vram`` is its whole size, else 0."""
        if self.loaded_at is None:
            return {"models": []}
        size = self.size()
        accelerator = str(self.identity().get("accelerator") or "cpu")
        vram = size if accelerator.startswith("gpu") else 0
        return {"models": [{"name": normalize_model_name(m), "model": normalize_model_name(m), "size": size,
                            "digest": self.digest(m), "details": self.details(), "expires_at": "0001-01-01T00:00:00Z",
                            "size_vram": vram} for m in self.models]}

    def show(self, name: str) -> dict[str, Any]:
        info = {k: v for k, v in self.identity().items() if isinstance(v, str | int | float | bool)}
        return {
            "license": "",
            "modelfile": f"# served by pytest-chimera {__version__} from backend {self.backend.name}\nFROM {name}\n",
            "parameters": "",
            "template": "{{ .Prompt }}",
            "details": self.details(),
            "model_info": {f"chimera.{k}": v for k, v in info.items()},
            "capabilities": ["completion"],
            "modified_at": self._modified_at,
        }
