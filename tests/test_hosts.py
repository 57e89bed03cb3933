"""Model hosts: --chimera-host checked, the hosts that answer at session start, xdist workers spread over them."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from llama_server import free_port
from ollama_fakes import FakeBackend

from pytest_chimera.backends import hosts
from pytest_chimera.backends.llamacpp import default_threads
from pytest_chimera.backends.ollama_server import OllamaServer
from pytest_chimera.plugin.settings import resolve


def closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="module")
def two_servers() -> Iterator[tuple[str, str]]:
    with OllamaServer(FakeBackend("gemma3:270m")) as a, OllamaServer(FakeBackend("gemma3:270m")) as b:
        yield a.url, b.url


@pytest.mark.parametrize(("text", "url"), [
    ("http://gpu1:11434", "http://gpu1:11434"),
    ("https://vllm.internal/v1/", "https://vllm.internal/v1"),
    ("gpu1:8000", "http://gpu1:8000"),
    (" http://[::1]:8000 ", "http://[::1]:8000"),
])
def test_parse_host(text: str, url: str) -> None:
    assert hosts.parse_host(text) == url


@pytest.mark.parametrize(("text", "message"), [
    ("", "is not a URL"),
    ("gpu1", "has no scheme and no port"),
    ("ftp://gpu1:21", "the scheme must be http or https"),
    ("http://gpu1:99999", "has a bad port"),
    ("::bad::", "has a bad port"),  # urlsplit's own ValueError, once a traceback-like 'Port could not be cast'
    ("gpu1:abc", "has a bad port"),
    ("http://[gpu1]:8000", "has a bad port or address"),  # a bracketed host that is not IPv6
    ("http://user:pw@gpu1:8000", "without credentials"),
    ("http://gpu1 :8000", "is not a URL"),
])
def test_a_bad_host_says_what_form_to_give(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"{message}.*give a URL such as http://gpu1:11434"):
        hosts.parse_host(text)


@given(text=st.text(alphabet=st.sampled_from("htps:/[]1g.@?#% -x"), max_size=24))
def test_any_host_text_is_a_url_or_a_message_saying_what_to_give(text: str) -> None:
    try:
        url = hosts.parse_host(text)
    except ValueError as exc:
        assert repr(text) in str(exc) and "give a URL such as http://gpu1:11434" in str(exc)
    else:
        assert url.startswith(("http://", "https://")) and not url.endswith("/")


def test_check_hosts_keeps_order_and_says_why_one_is_down(two_servers: tuple[str, str]) -> None:
    a, b = two_servers
    down = closed_url()
    check = hosts.check_hosts([b, down, a, b])
    assert check.up == (b, a) and check.down == ((down, "connection refused"),)


@given(count=st.integers(1, 64), n_hosts=st.integers(1, 16))
def test_workers_are_spread_evenly_and_each_keeps_one_host(count: int, n_hosts: int) -> None:
    up = [f"http://h{i}:8000" for i in range(n_hosts)]
    chosen = [hosts.host_for(up, index) for index in range(count)]
    assert chosen == [hosts.host_for(up, index) for index in range(count)]  # a worker keeps its host
    load = Counter(chosen)
    assert max(load.values()) - min(load.values()) <= 1 and len(load) == min(count, n_hosts)
    for index, host in enumerate(chosen):
        assert hosts.workers_per_host(index, count, n_hosts) == load[host]


def test_worker_slot_reads_xdist_environment() -> None:
    assert hosts.worker_slot({"PYTEST_XDIST_WORKER": "gw3", "PYTEST_XDIST_WORKER_COUNT": "4"}) == (3, 4)
    assert hosts.worker_slot({}) == (0, 1)
    assert hosts.worker_slot({"PYTEST_XDIST_WORKER": "master", "PYTEST_XDIST_WORKER_COUNT": "4"}) == (0, 1)


@pytest.mark.parametrize(("cpus", "workers", "threads"), [(8, "", 8), (8, "4", 2), (2, "4", 1), (16, "3", 5),
                                                           (4, "0", 4), (4, "x", 4)])
def test_llama_cpp_threads_are_shared_among_xdist_workers(cpus: int, workers: str, threads: int) -> None:
    assert default_threads(cpus, workers) == threads


def test_command_line_hosts_replace_the_ini_list() -> None:
    ini = {"host": ["http://a:1", "", "b:2"]}
    assert resolve({}, ini, Path("/r")).hosts == ("http://a:1", "http://b:2")
    assert resolve({"host": ["http://c:3"]}, ini, Path("/r")).hosts == ("http://c:3",)
    assert resolve({}, {}, Path("/r")).hosts == ()
    with pytest.raises(ValueError, match="ini chimera_hosts: host 'gpu1' has no scheme and no port"):
        resolve({}, {"host": ["gpu1"]}, Path("/r"))
    with pytest.raises(ValueError, match="ini chimera_api_key_env: '1KEY' is not an environment variable name"):
        resolve({}, {"api-key-env": "1KEY"}, Path("/r"))


# --- through pytest -------------------------------------------------------------------------------------

RECORD = """
import json, os
from pathlib import Path

def test_where(chimera_model):
    info = chimera_model.describe()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "serial")
    Path(f"{worker}.json").write_text(json.dumps({k: info.get(k) for k in ("host", "workers_per_host")}))
    assert chimera_model.generate("a b", options={"num_predict": 2}).text
"""


def test_header_reports_a_down_host_and_leaves_it_out(pytester: pytest.Pytester, two_servers: tuple[str, str]) -> None:
    a, _ = two_servers
    down = closed_url()
    pytester.makepyfile(test_where=RECORD)
    result = pytester.runpytest("--chimera", "--chimera-backend=openai", f"--chimera-host={down}",
                                f"--chimera-host={a}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"chimera: hosts up: {a}",
                                 f"chimera: host down, left out: {down} (connection refused)"])
    assert json.loads((pytester.path / "serial.json").read_text()) == {"host": a + "/v1", "workers_per_host": 1}


def test_no_host_up_stops_the_session(pytester: pytest.Pytester) -> None:
    down1, down2 = closed_url(), closed_url()
    pytester.makeini(f"[pytest]\nchimera_hosts =\n    {down1}\n    {down2}\n")
    pytester.makepyfile(test_where=RECORD)
    result = pytester.runpytest("--chimera", "--chimera-backend=openai")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: chimera: no model host answers (ini chimera_hosts): {down1} (connection "
                                 f"refused); {down2} (connection refused). Start the servers*"])


def test_hosts_are_not_checked_without_chimera(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_where=RECORD)
    result = pytester.runpytest(f"--chimera-host={closed_url()}")
    result.assert_outcomes(skipped=1)


def test_a_bad_host_flag_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--chimera-host=gpu1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--chimera-host: host 'gpu1' has no scheme and no port*"])


def test_xdist_workers_each_keep_one_host(pytester: pytest.Pytester, two_servers: tuple[str, str]) -> None:
    a, b = two_servers
    down = closed_url()
    pytester.makepyfile(test_where=RECORD)
    result = pytester.runpytest_subprocess("--chimera", "--chimera-backend=openai", f"--chimera-host={a}",
                                           f"--chimera-host={down}", f"--chimera-host={b}", "-n", "2",
                                           "--dist", "each")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"chimera: hosts up: {a}, {b}", f"chimera: host down, left out: {down}*",
                                 "chimera: 2 xdist workers over 2 host(s), 1 per host*"])
    seen = {w: json.loads((pytester.path / f"{w}.json").read_text()) for w in ("gw0", "gw1")}
    assert seen == {"gw0": {"host": a + "/v1", "workers_per_host": 1},
                    "gw1": {"host": b + "/v1", "workers_per_host": 1}}


@pytest.mark.parametrize("given", ["--chimera-host", "OPENAI_BASE_URL"])
def test_xdist_workers_sharing_one_host_say_so(pytester: pytest.Pytester, two_servers: tuple[str, str], given: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    a, _ = two_servers
    pytester.makepyfile(test_where=RECORD)
    hosts_given = [f"--chimera-host={a}"] if given == "--chimera-host" else []
    monkeypatch.setenv("OPENAI_BASE_URL", a + "/v1")  # the default host when no --chimera-host is given
    result = pytester.runpytest_subprocess("--chimera", "--chimera-backend=openai", *hosts_given, "-n", "2",
                                           "--dist", "each")
    result.assert_outcomes(passed=2)
    for worker in ("gw0", "gw1"):
        assert json.loads((pytester.path / f"{worker}.json").read_text()) == {"host": a + "/v1", "workers_per_host": 2}


def test_a_worker_takes_the_controllers_hosts_without_asking_them(pytester: pytest.Pytester) -> None:
    from pytest_chimera.plugin import models
    from pytest_chimera.plugin.stash import HOSTS_KEY

    trusted, down = closed_url(), closed_url()  # nobody listens: only the controller's word makes it "up"
    config = pytester.parseconfig("--chimera", f"--chimera-host={trusted}")
    config.workerinput = {models.UP_KEY: [trusted],  # type: ignore[attr-defined]
                          models.DOWN_KEY: [[down, "connection refused"]]}
    config._do_configure()
    try:
        assert config.stash[HOSTS_KEY] == hosts.HostCheck((trusted,), ((down, "connection refused"),))
        node = SimpleNamespace(workerinput={})
        models.configure_node(config, node)  # and a controller hands on what it holds
        assert node.workerinput == {models.UP_KEY: [trusted], models.DOWN_KEY: [[down, "connection refused"]]}
    finally:
        config._ensure_unconfigure()


def test_the_cli_uses_the_first_host_that_answers(two_servers: tuple[str, str]) -> None:
    from pytest_chimera.backends.base import BackendError
    from pytest_chimera.cli.common import pick_host

    a, b = two_servers
    down = closed_url()
    assert pick_host([]) is None and pick_host([down]) == down  # one host: no check, the call says what is wrong
    assert pick_host([down, b, a]) == b
    with pytest.raises(BackendError, match=f"no model host answers: {down} \\(connection refused\\)"):
        pick_host([down, closed_url()])
