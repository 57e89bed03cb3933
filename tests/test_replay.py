"""Record/replay cassettes: round trip, missing cassette message, key stability, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# numpy at collection time: pytester drops the modules first imported during an in-process run, and numpy
# cannot be imported twice in one process (the embedded model needs it after a pytester run loaded it).
import numpy  # noqa: F401
import pytest
from hypothesis import given
from hypothesis import strategies as st
from ollama_fakes import FakeBackend

from pytest_chimera.backends.base import Backend, BackendError
from pytest_chimera.backends.replay import ReplayBackend, cassette_path, model_slug, request_hash

MODEL = "gemma3:270m"


def test_record_then_replay_gives_the_same_text_and_the_replayed_flag(tmp_path: Path) -> None:
    fake = FakeBackend(MODEL)
    recorder = ReplayBackend(tmp_path, MODEL, mode="record", inner=fake)
    streamed: list[str] = []
    live = recorder.generate("summarise", options={"num_predict": 3, "temperature": 0}, on_token=streamed.append)
    assert live.metrics.replayed is False and live.backend == "fake"
    assert recorder.recorded_calls == 1

    player = ReplayBackend(tmp_path, MODEL, mode="replay")  # no inner backend at all
    replayed_pieces: list[str] = []
    again = player.generate("summarise", options={"temperature": 0, "num_predict": 3}, on_token=replayed_pieces.append)
    assert again.text == live.text
    assert replayed_pieces == streamed  # the recorded chunks, re-streamed
    assert again.metrics.replayed is True
    assert again.backend == "replay"
    assert again.metrics.eval_count == live.metrics.eval_count == 3
    assert again.metrics.tokens_per_s == live.metrics.tokens_per_s  # recorded timings, not new ones
    assert player.replayed_calls == 1 and len(fake.calls) == 1


def test_chat_messages_and_format_are_recorded_and_replayed(tmp_path: Path) -> None:
    messages = [{"role": "user", "content": "hi"}]
    schema = {"type": "object"}
    live = ReplayBackend(tmp_path, MODEL, mode="record", inner=FakeBackend()).generate(messages=messages, format=schema)
    player = ReplayBackend(tmp_path, MODEL, mode="replay")
    assert player.generate(messages=messages, format=schema).text == live.text
    with pytest.raises(BackendError, match="no cassette"):
        player.generate(messages=messages)  # same messages, no format: another request


def test_cassette_file_layout_and_content(tmp_path: Path) -> None:
    recorder = ReplayBackend(tmp_path, MODEL, mode="record", inner=FakeBackend(), options={"num_ctx": 2048})
    recorder.generate("p", options={"seed": 1})
    (path,) = tmp_path.rglob("*.json")
    digest = request_hash(options={"num_ctx": 2048, "seed": 1}, prompt="p")
    assert path == tmp_path / "fake" / "gemma3_270m" / f"{digest}.json"
    data = json.loads(path.read_text())
    assert data["key"] == {"backend": "fake", "model": MODEL, "hash": digest}
    assert data["request"] == {"prompt": "p", "messages": None, "options": {"num_ctx": 2048, "seed": 1}, "format": None}
    assert data["response"]["metrics"]["eval_count"] == 5
    assert data["recorded_with"]["sha256"] == "ab" * 32
    assert list(tmp_path.rglob("*.tmp")) == []  # the temporary file was renamed into place


def test_missing_cassette_in_replay_mode_names_the_key_and_the_record_command(tmp_path: Path) -> None:
    player = ReplayBackend(tmp_path / "cassettes", MODEL, mode="replay", inner=FakeBackend())
    with pytest.raises(BackendError) as info:
        player.generate("never recorded", options={"num_predict": 8})
    message = str(info.value)
    digest = request_hash(options={"num_predict": 8}, prompt="never recorded")
    assert f"no cassette for backend=* model={MODEL} hash={digest}" in message
    assert f"looked for {tmp_path / 'cassettes' / '*' / 'gemma3_270m' / digest}.json" in message
    assert f"pytest --chimera --chimera-cassettes {tmp_path / 'cassettes'} --chimera-record-mode record" in message
    assert player.inner().calls == []  # type: ignore[attr-defined]  # replay mode never calls the model


def test_missing_cassette_with_a_named_source_backend(tmp_path: Path) -> None:
    player = ReplayBackend(tmp_path, MODEL, mode="replay", source="ollama")
    with pytest.raises(BackendError, match="backend=ollama .*--chimera-backend ollama --chimera-cassettes"):
        player.generate("x")


def test_source_filters_which_recording_replays(tmp_path: Path) -> None:
    ReplayBackend(tmp_path, MODEL, mode="record", inner=FakeBackend()).generate("x")
    assert ReplayBackend(tmp_path, MODEL, source="fake").generate("x").metrics.replayed
    with pytest.raises(BackendError, match="no cassette"):
        ReplayBackend(tmp_path, MODEL, source="ollama").generate("x")


def test_auto_records_only_what_is_missing(tmp_path: Path) -> None:
    made: list[FakeBackend] = []

    def factory() -> Backend:
        made.append(FakeBackend())
        return made[-1]

    auto = ReplayBackend(tmp_path, MODEL, mode="auto", inner=factory)
    first = auto.generate("a")
    second = auto.generate("a")
    assert first.metrics.replayed is False and second.metrics.replayed is True
    assert first.text == second.text
    assert len(made) == 1 and len(made[0].calls) == 1
    assert (auto.recorded_calls, auto.replayed_calls) == (1, 1)


def test_replay_mode_never_loads_the_inner_backend(tmp_path: Path) -> None:
    ReplayBackend(tmp_path, MODEL, mode="record", inner=FakeBackend()).generate("a")

    def factory() -> Backend:
        raise AssertionError("replay mode must not load a model")

    assert ReplayBackend(tmp_path, MODEL, mode="replay", inner=factory).generate("a").metrics.replayed


def test_record_mode_overwrites(tmp_path: Path) -> None:
    class Counting(FakeBackend):
        def generate(self, prompt: str | None = None, **kw: Any) -> Any:
            gen = super().generate(f"{prompt}{len(self.calls)}", **kw)
            return gen

    rec = ReplayBackend(tmp_path, MODEL, mode="record", inner=Counting())
    one, two = rec.generate("a").text, rec.generate("a").text
    assert one != two
    assert ReplayBackend(tmp_path, MODEL).generate("a").text == two
    assert len(list(tmp_path.rglob("*.json"))) == 1


def test_a_failed_call_writes_no_cassette(tmp_path: Path) -> None:
    rec = ReplayBackend(tmp_path, MODEL, mode="record", inner=FakeBackend())
    with pytest.raises(BackendError, match="refused"):
        rec.generate("FAIL")
    assert list(tmp_path.rglob("*")) == []


def test_a_corrupt_cassette_says_which_file_and_what_to_do(tmp_path: Path) -> None:
    ReplayBackend(tmp_path, MODEL, mode="record", inner=FakeBackend()).generate("a")
    (path,) = tmp_path.rglob("*.json")
    path.write_text("{ half")
    with pytest.raises(BackendError) as info:
        ReplayBackend(tmp_path, MODEL).generate("a")
    assert str(path) in str(info.value) and "record it again" in str(info.value)


def test_record_mode_without_a_backend_says_so(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="needs a backend to record with"):
        ReplayBackend(tmp_path, MODEL, mode="record").generate("a")


def test_bad_mode_and_bad_call(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown record mode 'once'; choose one of record, replay, auto"):
        ReplayBackend(tmp_path, MODEL, mode="once")
    with pytest.raises(BackendError, match="exactly one"):
        ReplayBackend(tmp_path, MODEL).generate()


def test_describe_and_close(tmp_path: Path) -> None:
    fake = FakeBackend()
    rb = ReplayBackend(tmp_path, MODEL, mode="auto", inner=fake)
    assert isinstance(rb, Backend)
    assert rb.describe() == {
        "backend": "replay",
        "model": MODEL,
        "record_mode": "auto",
        "cassette_dir": str(tmp_path),
        "source": None,
    }
    assert rb.count_tokens("abcdefgh") == 2  # approximate until the inner backend is loaded
    rb.generate("x")
    assert rb.describe()["recording_backend"]["backend"] == "fake"
    assert rb.count_tokens("a b c") == 3
    rb.close()
    assert fake.closed


def test_model_slug_is_path_safe() -> None:
    assert model_slug("gemma3:270m") == "gemma3_270m"
    assert model_slug("hf.co/org/model:Q4_K_M") == "hf.co_org_model_Q4_K_M"
    assert cassette_path(Path("d"), "llama-cpp", "gemma3:270m", "abc") == Path("d/llama-cpp/gemma3_270m/abc.json")


# key stability --------------------------------------------------------------------------------------

# Pinned: a cassette recorded today must be found by tomorrow's code. Changing the hash breaks cassettes.
PINNED = request_hash(options={"temperature": 0, "num_predict": 8}, prompt="Executive summary:")


def test_key_is_pinned() -> None:
    assert PINNED == "b481f8dbe696d639"


def test_key_separates_requests() -> None:
    base = {"options": {"temperature": 0}, "prompt": "p"}
    assert request_hash(**base) == request_hash(options={"temperature": 0}, prompt="p")  # type: ignore[arg-type]
    assert request_hash(options=None, prompt="p") == request_hash(options={}, prompt="p")
    assert request_hash(options={}, prompt="p") != request_hash(options={}, prompt="q")
    assert request_hash(options={}, prompt="p") != request_hash(options={"seed": 1}, prompt="p")
    assert request_hash(options={}, prompt="p") != request_hash(options={}, messages=[{"role": "user", "content": "p"}])
    assert request_hash(options={}, prompt="p") != request_hash(options={}, prompt="p", format={"type": "object"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
option_dicts = st.dictionaries(st.sampled_from(["temperature", "seed", "num_predict", "stop", "top_k"]), json_values)


@given(
    options=option_dicts,
    prompt=st.text(max_size=40),
    schema=st.none() | st.dictionaries(st.text(max_size=4), json_values),
)
def test_key_is_deterministic_and_ignores_dict_order(options: dict[str, Any], prompt: str, schema: Any) -> None:
    reordered = dict(reversed(list(options.items())))
    one = request_hash(options=options, prompt=prompt, format=schema)
    assert one == request_hash(options=reordered, prompt=prompt, format=schema)
    assert one == request_hash(options=json.loads(json.dumps(options)), prompt=prompt, format=schema)
    assert len(one) == 16 and int(one, 16) >= 0


@given(a=st.text(max_size=30), b=st.text(max_size=30))
def test_different_prompts_have_different_keys(a: str, b: str) -> None:
    assert (request_hash(options={}, prompt=a) == request_hash(options={}, prompt=b)) == (a == b)


# the plugin's options and the replay backend end to end through pytester


def test_options_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "*--chimera-cassettes=DIR*",
            "*--chimera-record-mode=MODE*",
            "*Cassette mode: record | replay | auto*",
            "*else 'replay'.",
            "*--chimera-keep-alive=DURATION*",
            "*chimera_cassettes (string)*",
            "*chimera_record_mode (string)*",
            "*chimera_keep_alive (string)*",
        ]
    )


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("--chimera-record-mode=once", "*--chimera-record-mode: unknown record mode 'once'; choose one of record*"),
        ("--chimera-keep-alive=forever", "*--chimera-keep-alive: keep-alive takes a duration such as 5m*'forever'*"),
    ],
)
def test_bad_option_values_are_usage_errors(pytester: pytest.Pytester, arg: str, message: str) -> None:
    result = pytester.runpytest(arg)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


@pytest.mark.parametrize(
    ("ini", "args", "message"),
    [
        ("", ["--chimera-backend=replay"], "ERROR: --chimera-backend replay needs --chimera-cassettes DIR (or the ini "
                                           "key chimera_cassettes): the folder of recorded calls"),
        ("chimera_backend = replay", [], "ERROR: ini chimera_backend replay needs --chimera-cassettes DIR*"),
        ("", ["--chimera-record-mode=record"], "ERROR: --chimera-record-mode record needs --chimera-cassettes DIR (or "
                                               "the ini key chimera_cassettes): the folder to record into; without one "
                                               "nothing is recorded"),
        ("chimera_record_mode = auto", [], "ERROR: ini chimera_record_mode auto needs --chimera-cassettes DIR*"),
    ],
)
def test_replay_or_recording_without_a_cassette_folder_is_a_usage_error_with_chimera(
        pytester: pytest.Pytester, ini: str, args: list[str], message: str) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--chimera", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    pytester.runpytest(*args).assert_outcomes(passed=1)  # without --chimera no model is used
    pytester.runpytest("--chimera", "--chimera-cassettes=tapes", *args).assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("ini", "message"),
    [
        ("chimera_record_mode = sometimes", "*ini chimera_record_mode: unknown record mode 'sometimes'*"),
        ("chimera_keep_alive = 5 minutes", "*ini chimera_keep_alive: keep-alive takes a duration*'5 minutes'*"),
    ],
)
def test_bad_ini_values_name_the_key(pytester: pytest.Pytester, ini: str, message: str) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


SETTINGS_PROBE = """
from pytest_chimera.plugin.settings import settings_of

def test_settings(request):
    s = settings_of(request.config)
    print("SETTINGS", s.cassettes.name if s.cassettes else None, s.record_mode, repr(s.keep_alive))
"""


def test_settings_resolve_command_line_over_ini(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nchimera_cassettes = ini_tapes\nchimera_record_mode = auto\nchimera_keep_alive = 10m\n")
    pytester.makepyfile(SETTINGS_PROBE)
    result = pytester.runpytest("-s", "--chimera")
    result.stdout.fnmatch_lines(["chimera: *cassettes=*ini_tapes (auto)", "*SETTINGS ini_tapes auto '10m'*"])
    result = pytester.runpytest(
        "-s", "--chimera", "--chimera-cassettes=cli_tapes", "--chimera-record-mode=record", "--chimera-keep-alive=-1"
    )
    result.stdout.fnmatch_lines(["*SETTINGS cli_tapes record -1*"])
    pytester.makeini("[pytest]\n")
    pytester.runpytest("-s").stdout.fnmatch_lines(["*SETTINGS None replay None*"])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5m", "5m"),
        ("1h30m", "1h30m"),
        ("-1m", "-1m"),
        ("300", 300),
        ("-1", -1),
        ("0", 0),
        ("2.5", 2.5),
        ("90s", "90s"),
    ],
)
def test_keep_alive_values(text: str, value: object) -> None:
    from pytest_chimera.backends.options import parse_keep_alive

    assert parse_keep_alive(text) == value


RECORDED_TEST = """
def test_call(chimera_model):
    gen = chimera_model.generate("The capital of France is", options={"num_predict": 4, "temperature": 0})
    print("TEXT", repr(gen.text), "REPLAYED", gen.metrics.replayed, "BACKEND", gen.backend)
"""


def test_record_then_replay_through_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(RECORDED_TEST)
    tapes = pytester.path / "tapes"
    base = ["-s", "--chimera", "--chimera-backend=replay", f"--chimera-cassettes={tapes}"]
    missing = pytester.runpytest(*base)
    missing.assert_outcomes(failed=1)
    missing.stdout.fnmatch_lines(["*no cassette for backend=* model=gemma3:270m hash=*--chimera-record-mode record*"])

    recorded = pytester.runpytest(*base, "--chimera-record-mode=record")
    recorded.assert_outcomes(passed=1)
    (line,) = [x for x in recorded.outlines if "TEXT" in x]
    assert line.endswith("REPLAYED False BACKEND llama-cpp")
    assert len(list(tapes.glob("llama-cpp/gemma3_270m/*.json"))) == 1

    replayed = pytester.runpytest(*base)
    replayed.assert_outcomes(passed=1)
    (again,) = [x for x in replayed.outlines if "TEXT" in x]
    assert again.split(" REPLAYED")[0].split("TEXT")[1] == line.split(" REPLAYED")[0].split("TEXT")[1]
    assert again.endswith("REPLAYED True BACKEND replay")


@pytest.mark.parametrize(("prompt", "messages"), [(None, None), ("hi", [{"role": "user", "content": "hi"}])])
def test_every_backend_takes_exactly_one_input(tmp_path: Path, prompt: str | None, messages: Any) -> None:
    from pytest_chimera.backends.ollama import OllamaBackend

    for backend in (ReplayBackend(tmp_path, "m", mode="replay"), OllamaBackend("m", host="127.0.0.1:9")):
        with pytest.raises(BackendError, match=r"\.generate\(\) takes exactly one of prompt= or messages="):
            backend.generate(prompt, messages=messages)
