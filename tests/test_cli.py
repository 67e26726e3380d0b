"""The CLI in-process: help for every command, one error boundary."""

from __future__ import annotations

import pytest

from audiopipe.cli import _parser, main


@pytest.mark.e2e
def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = _parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    commands = list(sub.choices)  # type: ignore[arg-type]
    assert {"build", "voices"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        out = capsys.readouterr().out
        assert f"usage: audiopipe {name}" in out
        assert len(out.splitlines()) > 3


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: audiopipe" in capsys.readouterr().err


@pytest.mark.e2e
def test_unknown_engine_is_one_line(two_stories, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["build", str(two_stories), "--engine", "espeek", "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == "error: unknown engine 'espeek'; choose one of: espeak, edge, kokoro\n"
    assert not (tmp_path / "o").exists()
