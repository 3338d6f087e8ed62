"""The documentation is checked like code: the site builds with ``mkdocs build --strict``; every
``grader`` command the pages and the README show parses with the real command line, and the quick
ones run; the command-line reference has every command and option; the modules, names, settings
and exit codes the pages mention exist; the README stays a front page that links to them."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import REPO

import grader.checks
from grader.cli import main
from grader.core import assignment as assignments
from grader.core import errors
from grader.core.settings import FILE_ONLY, SETTINGS

DOCS = REPO / "docs"
README = REPO / "README.md"
PAGES = sorted(DOCS.rglob("*.md"))
SHELL = ("bash", "console")  # the blocks whose `grader` commands are read and checked

# Placeholders in commands, and what the tests put in their place. Paths are relative to the
# folder the commands are parsed in (see `workdir`), where the folders and files commands name exist.
PLACEHOLDERS = {
    "ASSIGNMENT": "two_layer_net",
    "<name>": "two_layer_net",
    "OUT": "grader-out",
    "DIR": "dir",
    "WHERE": "git+https://git.example.edu/course/grader@v1",
    "HOST": "git.example.edu",
    "COURSE": "course",
    "TAG": "v1",
    "SCHEDULER": "scheduler.example.edu",
    "PERCENT": "80",
    "EXPR": "test_toy_loss",
}
FOLDERS = ("class", "grader-out", "known", "wheels", "dir", "bob")
FILES = ("alice.zip", "carol.ipynb")


# -- reading the pages ------------------------------------------------------------------------------

FENCE = re.compile(r"^(?P<indent>[ ]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ ]*$", re.M | re.S)


def blocks(path: Path) -> list[tuple[str, str]]:
    """The fenced code blocks of a Markdown file: (language, text), dedented."""
    found = []
    for m in FENCE.finditer(path.read_text(encoding="utf-8")):
        indent = len(m["indent"])
        body = "\n".join(line[indent:] for line in m["body"].splitlines())
        found.append((m["lang"], body))
    return found


def command_lines(lang: str, body: str) -> list[str]:
    """The shell lines of a block: every line of a ``bash`` block (continuations joined), the
    ``$ `` lines of a ``console`` block."""
    if lang == "console":
        return [line[2:] for line in body.splitlines() if line.startswith("$ ")]
    if lang == "bash":
        return [line for line in body.replace("\\\n", " ").splitlines() if line.strip()]
    return []


def split_commands(line: str) -> list[list[str]]:
    """A shell line as simple commands (split at ``&&``, ``||``, ``;``, ``|``), comments dropped,
    leading ``NAME=value`` assignments dropped."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands, current = [], []
    for token in lexer:
        if token and set(token) <= set("&|;<>()"):
            commands.append(current)
            current = []
        else:
            current.append(token)
    commands.append(current)
    for command in commands:
        while command and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", command[0]):
            command.pop(0)
    return [c for c in commands if c]


def grader_commands(path: Path) -> list[list[str]]:
    """Every ``grader`` command in the file's bash and console blocks, its arguments after ``grader``."""
    found = []
    for lang, body in blocks(path):
        for line in command_lines(lang, body):
            found += [c[1:] for c in split_commands(line) if Path(c[0]).name == "grader"]
    return found


def substitute(args: list[str], values: dict[str, str]) -> list[str]:
    out = []
    for arg in args:
        for name, value in values.items():
            arg = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", value, arg)
        out.append(arg)
    return out


def parse(args: list[str]) -> click.Context:
    """Parse a command line with the real CLI, as `grader` would before running it: an unknown
    command or option, a missing argument, a bad choice or a missing path fails."""
    command, name, rest, parent = main, "grader", list(args), None
    while True:
        ctx = command.make_context(name, rest, parent=parent, resilient_parsing=False)
        if not isinstance(command, click.Group):
            return ctx
        protected = getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", [])  # click >= 8.2, older
        remaining = [*protected, *ctx.args]
        assert remaining, f"`grader {' '.join(args)}` names no command"
        name, command, rest = command.resolve_command(ctx, remaining)
        parent = ctx


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder holding what the documented commands name: the example class (linked), a class
    folder, a graded folder and so on, all empty."""
    work = tmp_path_factory.mktemp("docs-commands")
    (work / "examples").symlink_to(REPO / "examples")
    for name in FOLDERS:
        (work / name).mkdir()
    for name in FILES:
        (work / name).touch()
    return work


SOURCES = [p for p in [*PAGES, README] if grader_commands(p)]


def test_the_pages_show_commands_to_check():
    assert sum(len(grader_commands(p)) for p in SOURCES) > 50
    assert {p.relative_to(DOCS).parts[0] for p in SOURCES if DOCS in p.parents} >= {
        "instructors",
        "students",
        "authors",
    }


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_command_shown_parses_with_the_real_cli(source, workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    failures = []
    for args in grader_commands(source):
        try:
            parse(substitute(args, PLACEHOLDERS))
        except click.exceptions.Exit as done:  # --help, --version
            if done.exit_code:
                failures.append(f"`grader {shlex.join(args)}` exits {done.exit_code}")
        except click.ClickException as exc:
            failures.append(f"`grader {shlex.join(args)}`: {exc.format_message()}")
    assert not failures, f"{source.relative_to(REPO)}: commands that do not parse:\n" + "\n".join(failures)


def test_no_command_hides_in_a_block_the_tests_do_not_read():
    for path in [*PAGES, README]:
        for lang, body in blocks(path):
            if lang not in SHELL:
                hidden = [line for line in body.splitlines() if re.match(r"\s*(\$ )?(\S*/)?grader\s", line)]
                assert not hidden, (
                    f"{path.relative_to(REPO)}: a ```{lang} block holds {hidden}: use ```bash or ```console"
                )


# -- the quick commands really run -------------------------------------------------------------------


def shown() -> set[str]:
    return {shlex.join(args) for path in [*PAGES, README] for args in grader_commands(path)}


def invoke(args: list[str], cwd: Path, monkeypatch) -> click.testing.Result:
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, args, catch_exceptions=False)


def shown_output(path: Path, command: str) -> str:
    """What a console block of the page shows ``command`` printing."""
    for lang, body in blocks(path):
        if lang == "console" and body.startswith(f"$ {command}\n"):
            return body.split("\n", 1)[1].rstrip("\n") + "\n"
    raise AssertionError(f"{path.relative_to(REPO)} shows no output of `{command}`")


def test_the_quick_commands_shown_run(tmp_path, monkeypatch):
    """What the pages show, run as shown: a clean folder's help, assignments and configuration (its
    output exactly as the configuration page prints it); a release; then in what students receive,
    `grader check` as the pages show it and `grader ci init`."""
    documented = shown()
    for name in [*(s.env for s in SETTINGS), "CIFAR10_DIR", "GRADER_NOTEBOOK_SET", "GRADER_CI_INSTALL"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("grader.data.locate.default_data_dir", lambda: tmp_path / "no-user-data")  # as on a new machine

    def run(command: str, cwd: Path, expect: int = 0, **values: str) -> str:
        assert command in documented, f"`grader {command}` is not shown in the docs or the README"
        result = invoke(substitute(shlex.split(command), values), cwd, monkeypatch)
        assert result.exit_code == expect, f"`grader {command}` in {cwd}: exit {result.exit_code}\n{result.output}"
        return result.output

    assert "grade" in run("--help", tmp_path) and "release" in run("--help", tmp_path)
    listed = run("assignments", tmp_path)
    assert [line.split()[0] for line in listed.splitlines()] == assignments.builtin_names()
    assert listed == shown_output(DOCS / "index.md", "grader assignments")
    configured = run("config two_layer_net", tmp_path)
    assert configured == shown_output(DOCS / "instructors" / "configuration.md", "grader config two_layer_net")

    # A release of softmax, on the grader's own Python: its students' environment (a download)
    # is built by the tests that grade with it (test_release.py releases every assignment as is).
    source = tmp_path / "softmax"
    shutil.copytree(REPO / "reference" / "softmax", source, ignore=shutil.ignore_patterns("__pycache__"))
    toml = source / "assignment.toml"
    toml.write_text(re.sub(r"(?ms)^\[environment\]\n.*?(?=^\[)", "", toml.read_text(encoding="utf-8")))
    assert "Released softmax" in run(
        "release ASSIGNMENT -o DIR", tmp_path, ASSIGNMENT=str(source), DIR=str(tmp_path / "released")
    )
    assert "softmax: 0 / " in run("check", tmp_path / "released", expect=6)

    # What students receive of two_layer_net is exactly what `grader release` writes (test_release.py).
    student = tmp_path / "two_layer_net"
    shutil.copytree(REPO / "student_template" / "two_layer_net", student, ignore=shutil.ignore_patterns("__pycache__"))
    assert "points on the public checks" in run("check", student, expect=6)
    one = run("check -k test_toy_loss", student, expect=6)
    assert "0 / 2 points" in one and "1 of 1 public checks do not pass yet" in one
    run("check two_layer_net --fail-under 100 -o grader-report", student, expect=6)
    assert (student / "grader-report" / "two_layer_net" / "report.html").is_file()
    run("ci init --install git+https://HOST/COURSE/grader@TAG", student, **PLACEHOLDERS)
    workflow = (student / ".github" / "workflows" / "grader.yml").read_text(encoding="utf-8")
    assert PLACEHOLDERS["WHERE"] in workflow and (student / ".gitlab-ci.yml").is_file()
    assert "grader check two_layer_net --fail-under 100 -o grader-report" in workflow  # as ci.md shows it


# -- the site -------------------------------------------------------------------------------------------


def test_the_site_builds_strictly(tmp_path):
    """Broken links or anchors, a page missing from the navigation or a navigation entry without
    its page, and docstrings mkdocstrings cannot read all fail the build (--strict)."""
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"), "-d", str(site)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    for page in PAGES:
        rel = page.relative_to(DOCS).with_suffix("")
        built = site / ("index.html" if rel.name == "index" else rel / "index.html")
        assert built.is_file(), f"{page} was not built"
    api = (site / "reference" / "checks-api" / "index.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'id="(grader\.checks[\w.]*)"', api))
    missing = [name for name in grader.checks.__all__ if not any(i.split(".")[-1] == name for i in ids)]
    assert not missing, f"the API page does not document {missing} of grader.checks.__all__"


def test_the_api_page_lists_exactly_what_grader_checks_exports():
    text = (DOCS / "reference" / "checks-api.md").read_text(encoding="utf-8")
    listed = {name.strip() for group in re.findall(r"members: \[([^\]]*)\]", text) for name in group.split(",")}
    modules = set(re.findall(r"^::: grader\.checks\.(\w+)$", text, re.M))
    assert listed | (modules & set(grader.checks.__all__)) == set(grader.checks.__all__)


# -- the command-line reference ---------------------------------------------------------------------------


def all_commands() -> list[tuple[click.Context, click.Command]]:
    found = []

    def walk(command: click.Command, ctx: click.Context) -> None:
        found.append((ctx, command))
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, click.Context(sub, info_name=name, parent=ctx))

    walk(main, click.Context(main, info_name="grader"))
    return found


def sections(text: str) -> dict[str, str]:
    """The CLI page's sections by heading: "grader grade" -> its text."""
    parts = re.split(r"^## `([^`]+)`\n", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def long_options(command: click.Command) -> set[str]:
    return {
        o
        for p in command.params
        if isinstance(p, click.Option)
        for o in [*p.opts, *p.secondary_opts]
        if o.startswith("--")
    } - {"--help"}


def test_the_cli_reference_has_every_command_its_usage_and_every_option():
    text = (DOCS / "reference" / "cli.md").read_text(encoding="utf-8")
    by_heading = sections(text)
    for ctx, command in all_commands():
        usage = f"Usage: {ctx.command_path} {' '.join(command.collect_usage_pieces(ctx))}"
        assert usage in text, f"cli.md lacks the usage line {usage!r}"
        if isinstance(command, click.Group) and ctx.parent is not None:
            continue
        section = by_heading.get(ctx.command_path)
        assert section is not None, f"cli.md has no section `{ctx.command_path}`"
        named = set(re.findall(r"(?<![\w-])--[a-z][\w-]*", section)) - {"--help"}
        assert long_options(command) <= named, f"{ctx.command_path}: undocumented {long_options(command) - named}"
        first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
        tabled = {o for cell in first_cells for o in re.findall(r"(?<![\w-])--[a-z][\w-]*", cell)}
        assert tabled <= long_options(command), f"{ctx.command_path}: no such option {tabled - long_options(command)}"


# -- what the pages name exists -----------------------------------------------------------------------------


def prose(path: Path) -> str:
    """The text a reader takes as current: the layout page's table of where old modules went is not."""
    text = path.read_text(encoding="utf-8")
    return text.split("## Where the old modules went")[0]


def code_spans(path: Path) -> list[str]:
    return re.findall(r"`([^`\n]+)`", FENCE.sub("", prose(path)))


def resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        module = ".".join(parts[:i])
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        obj = importlib.import_module(module) if i < len(parts) else None
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


REPO_PATH = re.compile(r"(?:grader|tests|bench|tools|reports|examples|reference|student_template|docs)/[\w./-]*")


@pytest.mark.parametrize("page", [*PAGES, README], ids=lambda p: str(p.relative_to(REPO)))
def test_the_paths_and_names_a_page_mentions_exist(page):
    spans = code_spans(page)
    paths = [s for s in spans if REPO_PATH.fullmatch(s) and "..." not in s]
    assert not [p for p in paths if not (REPO / p).exists()], "no such file in the repository"
    names = {m for s in spans for m in re.findall(r"(?<![\w/.-])grader(?:\.\w+)+", s)}
    assert not [n for n in sorted(names) if not resolves(n)], "no such module or name in the package"


def test_the_python_shown_imports_what_exists():
    for path in PAGES:
        for lang, body in blocks(path):
            if lang != "python":
                continue
            for node in ast.walk(ast.parse(body)):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("grader"):
                    module = importlib.import_module(node.module)
                    missing = [a.name for a in node.names if not hasattr(module, a.name)]
                    assert not missing, f"{path.relative_to(REPO)}: {node.module} has no {missing}"
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "grader":
                    assert resolves(f"grader.{node.attr}"), f"{path.relative_to(REPO)}: no grader.{node.attr}"


def test_every_setting_variable_and_assignment_key_is_documented():
    settings = (DOCS / "reference" / "settings.md").read_text(encoding="utf-8")
    configuration = (DOCS / "instructors" / "configuration.md").read_text(encoding="utf-8")
    for name in [s.name for s in SETTINGS] + list(FILE_ONLY):
        assert f"| `{name}` |" in settings and f"| `{name}` |" in configuration, name
    for setting in SETTINGS:
        assert f"`{setting.env}`" in settings, setting.env
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "grader").rglob("*.py"))
    variables = set(re.findall(r"\bGRADER_[A-Z0-9_]*[A-Z0-9]\b", source))
    assert not [v for v in sorted(variables) if f"`{v}`" not in settings], "environment variables missing"
    for table in (
        assignments.Limits,
        assignments.Data,
        assignments.NotebookSpec,
        assignments.Environment,
        assignments.Gradescope,
        assignments.Thresholds,
        assignments.Calibration,
    ):
        missing = [f.name for f in dataclasses.fields(table) if f"`{f.name}`" not in settings]
        assert not missing, f"settings.md: {table.__name__} keys {missing}"


def test_every_exit_code_is_documented():
    rows = set(re.findall(r"^\| (\d+) \|", (DOCS / "reference" / "exit-codes.md").read_text(encoding="utf-8"), re.M))
    codes = {
        str(c.exit_code) for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.GraderError)
    }
    assert codes | {"0"} == rows


# -- the README is a front page ----------------------------------------------------------------------------


def test_the_readme_stays_a_front_page():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; move detail into docs/"


def test_the_readme_links_resolve_and_reach_every_page():
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    local = [link.split("#")[0] for link in links if "://" not in link]
    assert not [link for link in local if not (REPO / link).exists()], "README links to missing files"
    assert {REPO / link for link in local} >= set(PAGES), "README does not link to every page of docs/"
