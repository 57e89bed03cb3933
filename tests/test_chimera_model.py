"""The ``chimera_model`` fixture, the backend pool and their options, through pytester with the real model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_chimera.backends import BackendPool, WithOptions, load_backend, resolve_auto
from pytest_chimera.backends.base import Backend, BackendError, CallMetrics, Generation
from pytest_chimera.backends.gguf import cache_dir

pytest.importorskip("llama_cpp", reason="the embedded backend needs: pip install -e '.[embedded]'")


USER_CACHE = str(cache_dir())  # before pytester points HOME at a temporary directory


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``auto`` must not find a developer's running Ollama: point it at a port where nothing listens.
    The inner sessions share the user's model cache instead of assembling the GGUF in each temporary HOME."""
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")
    monkeypatch.setenv("PYTEST_CHIMERA_CACHE", USER_CACHE)


SHARED = """
import pytest

SEEN = []

@pytest.mark.chimera(options={"temperature": 0, "num_predict": 4})
def test_one(chimera_model):
    result = chimera_model.generate("The sky is")
    SEEN.append(chimera_model.inner)
    assert chimera_model.name == "llama-cpp" and result.metrics.eval_count == 4
    assert result.options["temperature"] == 0.0

@pytest.mark.chimera(options={"temperature": 0.5, "seed": 1, "num_predict": 2})
def test_two_shares_the_model(chimera_model):
    result = chimera_model.generate("The sky is")
    SEEN.append(chimera_model.inner)
    assert SEEN[0] is SEEN[1]
    assert result.metrics.eval_count == 2 and result.options["temperature"] == 0.5

@pytest.mark.chimera(options={"num_ctx": 512, "num_predict": 1})
def test_other_load_options_load_another(chimera_model):
    SEEN.append(chimera_model.inner)
    assert SEEN[2] is not SEEN[0]
    assert chimera_model.describe()["n_ctx"] == 512
"""


def test_fixture_shares_one_model_per_load_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SHARED)
    result = pytester.runpytest("--chimera", "--chimera-option=num_ctx=256", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["chimera: backend=auto, model=gemma3:270m*", "chimera: auto backend -> llama-cpp (*)"])


def test_header_says_what_auto_chose_without_ollama(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--chimera")
    result.stdout.fnmatch_lines(["chimera: auto backend -> llama-cpp (no Ollama with gemma3:270m at 127.0.0.1:9)"])
    result = pytester.runpytest("--chimera", "--chimera-backend=llama-cpp")
    result.stdout.no_fnmatch_line("*auto backend*")
    result = pytester.runpytest()
    result.stdout.no_fnmatch_line("chimera:*")


def test_model_path_option_loads_that_file(pytester: pytest.Pytester) -> None:
    from pytest_chimera.backends.gguf import resolve_packaged

    gguf_file = resolve_packaged("gemma3:270m").path
    pytester.makeini(f"[pytest]\nchimera_model_path = {gguf_file}\nchimera_options = num_ctx=256\n")
    pytester.makepyfile(
        """
        def test_x(chimera_model):
            info = chimera_model.describe()
            print("PATH", info["model_path"])
            assert chimera_model.generate("Hi", options={"num_predict": 1}).metrics.eval_count == 1
        """
    )
    result = pytester.runpytest("--chimera", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["chimera: auto backend -> llama-cpp (--chimera-model-path *)", f"*PATH {gguf_file}"])


def test_a_missing_model_path_errors_with_the_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(chimera_model): pass")
    result = pytester.runpytest("--chimera", "--chimera-model-path=missing.gguf")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*chimera_model: model file not found: *missing.gguf*give the path*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_marker_backend_and_options_are_validated(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.chimera(options={"num_ctx": "big"})
        def test_bad_option(chimera_model): pass

        @pytest.mark.chimera(backend="gpt")
        def test_bad_backend(chimera_model): pass
        """
    )
    result = pytester.runpytest("--chimera")
    result.assert_outcomes(failed=0, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*option 'num_ctx' takes a whole number, got 'big'*",
            "*@pytest.mark.chimera(backend='gpt'): choose one of auto, ollama, openai, llama-cpp, replay*",
        ]
    )


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf"])
def test_bad_timeout_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    result = pytester.runpytest(f"--chimera-timeout={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--chimera-timeout: timeout must be a positive number of seconds, got '{value}'*"])
    pytester.makeini("[pytest]\nchimera_timeout = never\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini chimera_timeout: timeout must be a positive number*'never'*"])


def test_help_lists_the_model_options(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--chimera-model-path=PATH*", "*--chimera-timeout=SECONDS*", "*chimera_model_path*"])


# -- the loader and the pool, without pytest sessions ------------------------------------------------------


class Fake:
    """A Backend that records how it was loaded and called."""

    def __init__(self, name: str, model: str, **kwargs: Any) -> None:
        self.name, self.model, self.kwargs, self.closed, self.calls = name, model, kwargs, False, []

    def generate(self, prompt: str | None = None, **kwargs: Any) -> Generation:
        self.calls.append(kwargs["options"])
        return Generation("x", CallMetrics(), self.name, self.model, dict(kwargs["options"]))

    def count_tokens(self, text: str) -> int:
        return len(text)

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name}

    def close(self) -> None:
        self.closed = True


def test_pool_keys_on_load_options_and_closes_everything() -> None:
    loaded: list[Fake] = []

    def loader(name: str, model: str, **kwargs: Any) -> Backend:
        loaded.append(Fake(name, model, **kwargs))
        return loaded[-1]

    seen: list[Backend] = []
    pool = BackendPool(loader=loader, timeout=5.0, on_load=seen.append)
    a = pool.get("llama-cpp", "m", {"num_ctx": 512, "temperature": 0.1})
    b = pool.get("llama-cpp", "m", {"num_ctx": 512, "temperature": 0.9, "seed": 3})
    c = pool.get("llama-cpp", "m", {"num_ctx": 1024})
    assert a.inner is b.inner is loaded[0] and c.inner is loaded[1] and len(loaded) == 2 == len(seen)
    assert loaded[0].kwargs["options"] == {"num_ctx": 512} and loaded[0].kwargs["timeout"] == 5.0
    b.generate("p", options={"num_predict": 2})
    assert loaded[0].calls[-1] == {"num_ctx": 512, "temperature": 0.9, "seed": 3, "num_predict": 2}
    assert isinstance(a, WithOptions) and isinstance(a, Backend)
    pool.close()
    assert all(f.closed for f in loaded) and pool.loaded() == []


def test_auto_resolves_to_embedded_without_ollama_and_with_a_model_path() -> None:
    assert resolve_auto("gemma3:270m") == "llama-cpp"
    pool = BackendPool(loader=lambda name, model, **kw: Fake(name, model))
    assert pool.get("auto", "gemma3:270m").name == "llama-cpp"
    assert pool.resolved("auto", "gemma3:270m", "/x.gguf") == "llama-cpp"


def test_load_backend_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="unknown backend 'gpt'"):
        load_backend("gpt", "m")
    with pytest.raises(BackendError, match="replay backend needs a cassette directory: pass --chimera-cassettes"):
        load_backend("replay", "m")
    with pytest.raises(BackendError, match="model file not found"):
        load_backend("auto", "m", model_path=tmp_path / "none.gguf")
