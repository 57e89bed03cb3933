"""pytest-chimera: benchmark-aware LLM evaluation as pytest tests.

Importing the package is cheap; the heavy parts (pandas, ollama, llama_cpp) load on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"
