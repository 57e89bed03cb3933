"""The CLI's error messages give advice in the CLI's own words: its flags, not the plugin's ``--chimera-*``."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_chimera.cli import main
from pytest_chimera.cli.common import in_cli_words
from pytest_chimera.plugin.options import OPTIONS, Option


@pytest.mark.parametrize("option", [o for o in OPTIONS if o.cli], ids=lambda o: o.name)
def test_each_plugin_flag_with_a_cli_form_is_named_by_it(option: Option) -> None:
    flag, cli = option.flag, option.cli
    assert in_cli_words(f"pass {flag} X, or {flag}.") == f"pass {cli} X, or {cli}."


def test_flags_without_a_cli_form_stay_as_they_are() -> None:
    text = "set --chimera-corpus DIR or --chimera-keep-alive 5m; run pytest --chimera"
    assert in_cli_words(text) == text


@pytest.mark.parametrize("command", ["generate", "run"])
def test_a_missing_cassette_says_to_rerun_the_command_with_record_mode(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "runs.csv").write_text("model,tokens_s\ngemma3:270m,41.5\n", encoding="utf-8")
    target = "Hi" if command == "generate" else str(corpus)
    assert main([command, "--backend", "replay", "--cassettes", str(tmp_path / "tapes"), target]) == 1
    err = capsys.readouterr().err
    assert "no cassette for backend=* model=gemma3:270m" in err
    assert "Record it by running this command again with --record-mode record" in err
    assert "--chimera" not in err and "pytest " not in err  # no pytest command to copy into a shell by mistake


@pytest.mark.parametrize(("args", "given"), [(["--cassettes", "tapes"], "--cassettes"),
                                             (["--record-mode", "record"], "--record-mode record")])
def test_recording_without_the_replay_backend_is_a_usage_error(capsys: pytest.CaptureFixture[str], args: list[str],
                                                               given: str) -> None:
    # before: the call went to the model and nothing was recorded, silently
    assert main(["generate", *args, "Hi"]) == 2
    assert capsys.readouterr().err == (f"pytest-chimera generate: {given} applies to --backend replay only; add "
                                       "--backend replay (it records with the backend auto picks), or nothing is "
                                       "recorded or replayed\n")


def test_a_backend_message_names_the_cli_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_a_folder = tmp_path / "tapes.txt"
    not_a_folder.write_text("", encoding="utf-8")
    assert main(["generate", "--backend", "replay", "--cassettes", str(not_a_folder), "Hi"]) == 1
    err = capsys.readouterr().err
    assert f"the cassette directory {not_a_folder} is not a directory; give --cassettes the folder" in err


def test_ctrl_c_is_one_line_and_exit_130(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    import pytest_chimera.cli.facts as facts_cli

    def interrupted(args: object) -> int:
        raise KeyboardInterrupt  # as Ctrl-C arrives inside a model call

    monkeypatch.setattr(facts_cli, "run", interrupted)
    try:
        code = main(["facts", str(tmp_path)])
    except KeyboardInterrupt:  # would stop this test session instead of failing the test
        pytest.fail("KeyboardInterrupt escaped main() as a traceback")
    assert code == 130
    err = capsys.readouterr().err
    assert err == "\npytest-chimera: interrupted (no file is left half-written)\n"


@pytest.mark.parametrize(("argv", "usage", "message"), [
    (["facts", "--jsn", "corpus"], "usage: pytest-chimera facts",
     "pytest-chimera facts: error: unrecognized arguments: --jsn (--jsn: did you mean --json?)"),
    (["compare", "a.json", "b.json", "--fail_on=x"], "usage: pytest-chimera compare",
     "pytest-chimera compare: error: unrecognized arguments: --fail_on=x (--fail_on=x: did you mean --fail-on?)"),
    (["facts", "a", "b"], "usage: pytest-chimera facts", "pytest-chimera facts: error: unrecognized arguments: b"),
    (["--bogus"], "usage: pytest-chimera [-h]", "pytest-chimera: error: unrecognized arguments: --bogus"),
])
def test_an_argument_a_command_does_not_take_is_named_with_that_commands_usage(
        capsys: pytest.CaptureFixture[str], argv: list[str], usage: str, message: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage) and err.rstrip("\n").endswith(message)
