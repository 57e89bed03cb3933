"""Model hosts: a host URL checked, which hosts answer, and xdist workers spread over the hosts that do.

Plain functions over plain values (the standard library only, its network modules imported on first use).
The plugin checks the hosts once at session start (the controller under pytest-xdist) and hands the list
of hosts that answered to its workers; each worker then keeps one host for the whole session,
``hosts[worker index % len(hosts)]``, so its timings are made against one server at one concurrency.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

CHECK_TIMEOUT_S = 2.0
_SCHEMES = ("http", "https")


def parse_host(text: str) -> str:
    """A model server's base URL: ``http://gpu1:11434``, ``https://vllm.internal/v1`` or ``HOST:PORT``.

    Returns the URL without a trailing slash (``HOST:PORT`` gets ``http://``). Raises ValueError naming the
    text and the form expected.
    """
    value = text.strip().rstrip("/")
    example = "give a URL such as http://gpu1:11434 or https://vllm.internal/v1, or HOST:PORT"
    if not value or any(ch.isspace() for ch in value):
        raise ValueError(f"host {text!r} is not a URL; {example}")
    bare = "://" not in value  # HOST:PORT
    if bare:
        value = "http://" + value
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:  # also urlsplit's own, on a bracketed host that is not an IPv6 address
        raise ValueError(f"host {text!r} has a bad port or address; {example}") from None
    if bare and not port:
        raise ValueError(f"host {text!r} has no scheme and no port; {example}")
    if parts.scheme not in _SCHEMES:
        raise ValueError(f"host {text!r}: the scheme must be http or https; {example}")
    if not parts.hostname or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"host {text!r} must be scheme://host[:port][/path] without credentials or query; {example}")
    return value


def why_down(url: str, timeout: float = CHECK_TIMEOUT_S) -> str | None:
    """None when an HTTP server answers at ``url`` (any status: 401 and 404 are answers), else why not."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ConnectionRefusedError):
            return "connection refused"
        if isinstance(reason, TimeoutError | socket.timeout):
            return f"no answer within {timeout:g} s"
        return str(reason)
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except OSError as exc:  # a reset connection, an HTTP response that is not HTTP
        return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class HostCheck:
    """Which of the given hosts answered at session start, in the order given."""

    up: tuple[str, ...]
    down: tuple[tuple[str, str], ...]  # (host, why)


def check_hosts(
    hosts: Sequence[str], timeout: float = CHECK_TIMEOUT_S, probe: Callable[[str, float], str | None] = why_down
) -> HostCheck:
    """Ask every host at once (one thread each); a host is up when an HTTP server answers at its URL."""
    from concurrent.futures import ThreadPoolExecutor

    unique = list(dict.fromkeys(hosts))
    if not unique:
        return HostCheck((), ())
    with ThreadPoolExecutor(max_workers=min(16, len(unique))) as pool:
        reasons = list(pool.map(lambda h: probe(h, timeout), unique))
    return HostCheck(
        up=tuple(h for h, why in zip(unique, reasons, strict=True) if why is None),
        down=tuple((h, why) for h, why in zip(unique, reasons, strict=True) if why is not None),
    )


def worker_slot(environ: os._Environ[str] | dict[str, str] | None = None) -> tuple[int, int]:
    """``(index, count)`` of this pytest-xdist worker from its environment; ``(0, 1)`` outside xdist."""
    env = os.environ if environ is None else environ
    name, count = env.get("PYTEST_XDIST_WORKER", ""), env.get("PYTEST_XDIST_WORKER_COUNT", "")
    digits = name.removeprefix("gw")
    if not digits.isdigit() or not count.isdigit() or int(count) < 1:
        return 0, 1
    return int(digits), int(count)


def host_for(hosts: Sequence[str], index: int) -> str:
    """The host worker ``index`` keeps: ``hosts[index % len(hosts)]``."""
    if not hosts:
        raise ValueError("no host to choose from")
    return hosts[index % len(hosts)]


def workers_per_host(index: int, count: int, n_hosts: int) -> int:
    """How many of ``count`` workers share the host of worker ``index`` (itself included)."""
    if n_hosts < 1 or count < 1:
        raise ValueError(f"need at least one host and one worker, got {n_hosts} hosts and {count} workers")
    slot = index % n_hosts
    return count // n_hosts + (1 if slot < count % n_hosts else 0)
