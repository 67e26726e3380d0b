"""One answer to "where is it": the Workspace's rules, and each episode file named in one module only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from audiopipe.errors import AudiopipeError
from audiopipe.options import BuildOptions, Choices, Run
from audiopipe.workspace import EpisodeFiles, Workspace

PACKAGE = Path(__file__).resolve().parent.parent / "audiopipe"
RECORDS = ("report.json", "qa.json", "review.json", "published.json", ".stamp.json", ".build.lock")


def _strings(source: str) -> list[tuple[int, str]]:
    """The string constants of a module that are code, not documentation."""
    tree = ast.parse(source)
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs]


def test_each_episode_file_is_named_in_exactly_one_module() -> None:
    named: dict[str, set[str]] = {name: set() for name in RECORDS}
    for path in sorted(PACKAGE.rglob("*.py")):
        for _line, value in _strings(path.read_text(encoding="utf-8")):
            for name in RECORDS:
                if value == name or value.endswith("/" + name):
                    named[name].add(str(path.relative_to(PACKAGE)))
    assert {name: len(modules) for name, modules in named.items()} == dict.fromkeys(RECORDS, 1), named


def test_the_show_is_found_by_one_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUDIOPIPE_SHOW", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "show" / "episodes").mkdir(parents=True)
    found = tmp_path / "show" / "show.yaml"
    found.write_text("title: Found\n", encoding="utf-8")
    given = tmp_path / "given.yaml"
    given.write_text("title: Given\n", encoding="utf-8")
    start = tmp_path / "show" / "episodes"
    assert Workspace().show_file(start) == found                       # at or above the manifest's folder
    assert Workspace(show_given=given).show_file(start, str(found)) == given     # --show wins
    assert Workspace().show_file(start, recorded=str(given)) == given     # else the episode's own
    assert Workspace().show_file(start, recorded=str(tmp_path / "gone.yaml")) == found   # gone: found again
    monkeypatch.setenv("AUDIOPIPE_SHOW", str(given))
    assert Workspace().show(tmp_path).title == "Given"


def test_an_episode_is_checked_with_the_show_it_was_built_with(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """QA, the review server and a release once found the show differently (report.json's path, the current
    folder, the defaults): an episode built with the defaults was checked with a show.yaml met later."""
    from audiopipe.publish import record
    monkeypatch.delenv("AUDIOPIPE_SHOW", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "show.yaml").write_text("title: Met later\n", encoding="utf-8")
    folder = tmp_path / "out" / "ep"
    folder.mkdir(parents=True)
    record.EpisodeRecord(
        record.EpisodeInfo("ep", "T", "2026-01-01", 1, "", "episodes/ep.yaml", "ep.mp3", ("en", "zh"), "stories",
                           181_400, -16.0, -1.5, -16.0, -1.0, (162.0, 198.0)),
        record.BuildInfo(0, 0, 0.0), (), (), None, (), "guid-ep").write(folder)       # built without a show.yaml
    episode = Workspace(tmp_path / "out").episode("ep")
    assert episode == EpisodeFiles(folder) and episode.report == folder / "report.json"
    assert Workspace(tmp_path / "out").show_of(episode).title != "Met later"        # the defaults, as built
    assert Workspace(tmp_path / "out", tmp_path / "show.yaml").show_of(episode).title == "Met later"   # --show


def test_an_episode_not_built_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(AudiopipeError, match=r"no built episode here \(no report.json\); build it first"):
        Workspace(tmp_path).episode("nothing")


def test_a_build_asks_its_workspace(tmp_path: Path) -> None:
    options = BuildOptions(Choices(show_file=tmp_path / "s.yaml", voices_dir=tmp_path / "v"), Run(out_dir=tmp_path / "o"))
    workspace = options.workspace()
    assert workspace.folder("ep").folder == tmp_path / "o" / "ep"
    assert workspace.show_file(tmp_path) == tmp_path / "s.yaml" and workspace.voices_dir(tmp_path) == tmp_path / "v"
    assert workspace.folder("ep").lock.name == ".build.lock" and workspace.folder("ep").qa.name == "qa.json"
