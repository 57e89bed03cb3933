"""The session's models for the plugin: one pool of loaded backends per pytest session, in ``config.stash``,
and the model hosts (``--chimera-host``) it spreads over pytest-xdist workers.

The plugin's hooks and the ``chimera_model`` fixture call these functions; nothing here imports a model
library at import time, and nothing touches a model or the network before a test asks for a model, except
the one check of the given hosts at session start with ``--chimera``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_chimera.backends import hosts
from pytest_chimera.backends import options as mo
from pytest_chimera.plugin.settings import Settings, settings_of
from pytest_chimera.plugin.stash import HOSTS_KEY, POOL_KEY

if TYPE_CHECKING:
    from pytest_chimera.backends import BackendPool, WithOptions

# pytest-xdist's workerinput keys: the controller's host check, handed to every worker
UP_KEY, DOWN_KEY = "chimera_hosts_up", "chimera_hosts_down"


def check_hosts(config: pytest.Config) -> None:
    """At configure, with --chimera and --chimera-host: which hosts answer. The controller (or a serial
    session) asks them; an xdist worker takes the controller's answer, so all workers share one list. When
    none answers the session stops with a usage error naming each host and why."""
    settings = settings_of(config)
    if not settings.enabled or not settings.hosts:
        return
    given: Any = getattr(config, "workerinput", {})
    if UP_KEY in given:
        check = hosts.HostCheck(tuple(given[UP_KEY]), tuple((h, why) for h, why in given[DOWN_KEY]))
    else:
        check = hosts.check_hosts(settings.hosts)
    if not check.up:
        where = settings.sources.get("host", "--chimera-host")
        reasons = "; ".join(f"{h} ({why})" for h, why in check.down)
        raise pytest.UsageError(f"chimera: no model host answers ({where}): {reasons}. Start the servers, or fix "
                                "--chimera-host / ini chimera_hosts")
    config.stash[HOSTS_KEY] = check


def configure_node(config: pytest.Config, node: Any) -> None:
    """pytest-xdist's controller, per worker: hand it the hosts that answered at session start."""
    check = config.stash.get(HOSTS_KEY, None)
    if check is not None:
        node.workerinput[UP_KEY] = list(check.up)
        node.workerinput[DOWN_KEY] = [list(d) for d in check.down]


def serving(config: pytest.Config) -> tuple[str | None, int]:
    """This process's host (None: the backend's default) and how many workers share it.

    A worker keeps ``up[index % len(up)]`` for the whole session; without --chimera-host every worker
    shares the one default host.
    """
    index, count = hosts.worker_slot()
    check = config.stash.get(HOSTS_KEY, None)
    if check is None:
        return None, count
    return hosts.host_for(check.up, index), hosts.workers_per_host(index, count, len(check.up))



def pool_of(config: pytest.Config) -> BackendPool:
    """The session's pool of loaded backends, created on first use."""
    pool = config.stash.get(POOL_KEY, None)
    if pool is None:
        from pytest_chimera.backends import BackendPool

        settings = settings_of(config)

        def record(backend: Any) -> None:
            from pytest_chimera.plugin.capture import record_backend

            try:
                record_backend(config, backend.describe())
            except Exception:  # identity for machine_info is best effort; the test itself must not fail here
                pass

        host, workers = serving(config)
        pool = BackendPool(
            host=host,
            workers_per_host=workers,
            api_key_env=settings.api_key_env,
            timeout=settings.timeout,
            keep_alive=settings.keep_alive,
            cassette_dir=settings.cassettes,
            record_mode=settings.record_mode,
            on_load=record,
        )
        config.stash[POOL_KEY] = pool
    return pool


def backend_for(request: pytest.FixtureRequest) -> WithOptions:
    """The backend a test asked for: the session settings, overridden by its ``chimera`` marker."""
    from pytest_chimera.backends import BackendError

    config = request.config
    settings = settings_of(config)
    backend, model, options = settings.backend, settings.model, dict(settings.options)
    mark = request.node.get_closest_marker("chimera")
    if mark is not None:
        backend = mark.kwargs.get("backend") or backend
        model = mark.kwargs.get("model") or model
        if backend not in mo.BACKENDS:
            pytest.fail(f"@pytest.mark.chimera(backend={backend!r}): choose one of {', '.join(mo.BACKENDS)}",
                        pytrace=False)
        if mark.kwargs.get("options"):
            try:
                options.update(mo.options_from_mapping(mark.kwargs["options"], "@pytest.mark.chimera(options=...)"))
            except ValueError as exc:
                pytest.fail(str(exc), pytrace=False)
    try:
        return pool_of(config).get(backend, model, options, _model_path(settings))
    except BackendError as exc:
        pytest.fail(f"chimera_model: {exc}", pytrace=False)


def host_lines(config: pytest.Config) -> list[str]:
    """The hosts that answered and those left out, and how xdist workers will share them."""
    check = config.stash.get(HOSTS_KEY, None)
    if check is None:
        return []
    lines = [f"chimera: hosts up: {', '.join(check.up)}"]
    lines += [f"chimera: host down, left out: {h} ({why})" for h, why in check.down]
    workers: Any = getattr(config.option, "numprocesses", None)
    if isinstance(workers, int) and workers > 0:
        n = len(check.up)
        shares = sorted({hosts.workers_per_host(i, workers, n) for i in range(min(n, workers))})
        lines.append(f"chimera: {workers} xdist workers over {n} host(s), {' or '.join(map(str, shares))} per host "
                     "(recorded in each backend's identity; TTFT includes queueing, gate speed in a serial job)")
    return lines


def header_lines(config: pytest.Config) -> list[str]:
    """Extra header lines: the hosts, what ``auto`` resolved to. Only called with --chimera (this may probe
    Ollama)."""
    settings = settings_of(config)
    lines = host_lines(config)
    if settings.backend != "auto":
        return lines
    pool = pool_of(config)
    path = _model_path(settings)
    chosen = pool.resolved("auto", settings.model, path)
    if path is not None:
        why = f"--chimera-model-path {path}"
    elif chosen == "ollama":
        why = f"Ollama has {settings.model}"
    else:
        from pytest_chimera.backends import ollama_host

        why = f"no Ollama with {settings.model} at {ollama_host(pool.host)}"
    return [*lines, f"chimera: auto backend -> {chosen} ({why})"]


def close(config: pytest.Config) -> None:
    """Close the session's backends (at unconfigure)."""
    pool = config.stash.get(POOL_KEY, None)
    if pool is not None:
        pool.close()


def _model_path(settings: Settings) -> str | None:
    return str(settings.model_path) if settings.model_path is not None else None


def model_path_of(config: pytest.Config) -> str | None:
    """The resolved --chimera-model-path (command line over ini), absolute, or None."""
    return _model_path(settings_of(config))
