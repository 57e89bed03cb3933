"""The machine a model runs on: CPU model and count, for backend identity and run records (standard library)."""

from __future__ import annotations

import functools
import os
import platform
import subprocess


@functools.lru_cache(maxsize=1)
def cpu_model() -> str | None:
    """The CPU's model name as the OS reports it (``/proc/cpuinfo``, ``sysctl``), else ``platform.processor()``.

    On Linux x86 this is the ``model name`` line, the same text py-cpuinfo (pytest-benchmark's
    ``machine_info.cpu.brand_raw``) reports, so records and pytest-benchmark files compare.
    """
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, sep, value = line.partition(":")
                if sep and key.strip() in ("model name", "Model", "Hardware", "cpu model") and value.strip():
                    return value.strip()
    except OSError:
        pass
    if platform.system() == "Darwin":
        try:
            out = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True,
                                 timeout=5, check=False).stdout.strip()
            if out:
                return out
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or None


def cpu_count() -> int | None:
    """Logical CPUs (``os.cpu_count()``), as py-cpuinfo's ``count``."""
    return os.cpu_count()


def machine() -> dict[str, object]:
    """The machine_info keys pytest-benchmark also writes and the gate compares (not the host name alone)."""
    return {
        "node": platform.node(),
        "system": platform.system(),
        "machine": platform.machine(),
        "release": platform.release(),
        "python_implementation": platform.python_implementation(),
        "python_version": platform.python_version(),
        "cpu": {"brand_raw": cpu_model(), "count": cpu_count()},
    }
