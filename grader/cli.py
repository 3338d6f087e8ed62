"""Command-line interface: each command parses arguments, calls one library function, shows the result."""

from __future__ import annotations

import ast
from pathlib import Path

import click
from tqdm import tqdm

from . import __version__
from . import assignment as assignments
from .batch import BatchOptions, grade_all
from .data import fetch as fetching
from .data.grading import CHOICES, grading_data
from .errors import ScoreBelowThreshold, UsageError
from .grade import GradeOptions
from . import report as reporting
from .data.locate import default_data_dir, locate_cifar10


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grader")
def main() -> None:
    """Autograde numpy neural-network assignments (cs231n, CS498DL)."""


@main.command("assignments")
def list_assignments() -> None:
    """List the built-in assignments."""
    for name in assignments.builtin_names():
        a = assignments.load(name)
        click.echo(f"{a.name:<16} {a.title}")


@main.group()
def data() -> None:
    """Datasets: fetch CIFAR-10, show where it is."""


@data.command("fetch")
@click.argument("dataset", type=click.Choice(["cifar10"]))
@click.option("--dir", "dest", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder to download into [default: the user data dir].")
@click.option("--url", default=fetching.OFFICIAL_URL, show_default=True,
              envvar="GRADER_CIFAR10_URL", help="Mirror to download from.")
@click.option("--md5", default=fetching.OFFICIAL_MD5, show_default=True,
              help="Expected MD5 of the archive.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def data_fetch(dataset: str, dest: Path | None, url: str, md5: str, quiet: bool) -> None:
    """Download DATASET, verify its checksum and unpack it."""
    options = fetching.FetchOptions(url=url, md5=md5, progress=not quiet)
    folder = fetching.fetch_cifar10(dest or default_data_dir(), options)
    click.echo(f"CIFAR-10 is ready in {folder}")


@data.command("locate")
@click.argument("dataset", type=click.Choice(["cifar10"]))
@click.option("--dir", "cli_dir", type=click.Path(path_type=Path), default=None,
              help="Look here first.")
def data_locate(dataset: str, cli_dir: Path | None) -> None:
    """Print where DATASET is found (flag > CIFAR10_DIR > [tool.grader] > user data dir)."""
    click.echo(str(locate_cifar10(cli_dir)))


@main.command("grade")
@click.argument("assignment")
@click.argument("submissions", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("grader-out"),
              show_default=True, help="Folder for results (one sub-folder per submission).")
@click.option("--isolation", type=click.Choice(["auto", "bwrap", "unshare", "rlimits"]),
              default="auto", show_default=True, envvar="GRADER_ISOLATION",
              help="How to jail student code (auto: the strongest available).")
@click.option("--public-only", is_flag=True, help="Run only the public checks.")
@click.option("-k", "--select", default="", metavar="EXPR",
              help="Run only the checks whose names match this pytest -k expression.")
@click.option("--fail-under", type=float, default=None,
              help="Exit with code 6 when a submission scores below this percentage.")
@click.option("--dataset", type=click.Choice(CHOICES), default="auto", show_default=True,
              envvar="GRADER_DATASET",
              help="Data for notebooks and accuracy checks: auto = CIFAR-10 if found, else synthetic.")
@click.option("--cifar10-dir", type=click.Path(path_type=Path), default=None,
              help="Where CIFAR-10 is (else CIFAR10_DIR, [tool.grader] cifar10_dir, the user data dir).")
@click.option("--no-notebooks", is_flag=True, help="Do not run the notebooks (their checks fail).")
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE", envvar="GRADER_NOTEBOOK_SET",
              help="Set a notebook variable after its parameters cell, e.g. --set ITERATION_BUDGET=0.1 "
                   "(VALUE is a Python literal; repeatable).")
def grade(assignment: str, submissions: tuple[Path, ...], out: Path, isolation: str,
          public_only: bool, select: str, fail_under: float | None, dataset: str, cifar10_dir: Path | None,
          no_notebooks: bool, overrides: tuple[str, ...]) -> None:
    """Grade SUBMISSIONS (folders, .zip files, notebooks, or class folders) for ASSIGNMENT.

    ASSIGNMENT is a built-in name (two_layer_net, fc_nets, cs498dl_nn) or an assignment folder.
    """
    spec = assignments.load(assignment)
    data = grading_data(dataset, cifar10_dir)
    if data.note:
        click.echo(f"warning: {data.note}", err=True)
    grading = GradeOptions(isolation=isolation, public_only=public_only, select=select, data=data,
                           notebooks=not no_notebooks, parameters=parse_overrides(overrides))
    with tqdm(desc="grading", unit="submission", disable=None, leave=False) as bar:
        results = grade_all(spec, submissions, out, BatchOptions(grading, lambda _: bar.update(),
                                                                 data.describe()))
    click.echo(summary_table(results))
    click.echo(f"\nResults: {out}/<submission>/results.json, report.html, junit.xml; "
               f"gradebook: {out / 'gradebook.csv'}")
    click.echo(f"Class dashboard: {out / 'index.html'}")
    low = [r.submission for r in results if fail_under is not None
           and 100 * r.score < fail_under * max(r.max_score, 1e-9)]
    if low:
        raise ScoreBelowThreshold(f"below --fail-under {fail_under:g}%: {', '.join(low)}")


def parse_overrides(items: tuple[str, ...]) -> tuple[tuple[str, object], ...]:
    """``NAME=VALUE`` pairs with VALUE a Python literal (numbers, strings, lists...), never code."""
    pairs = []
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise UsageError(f"--set expects NAME=VALUE with NAME a Python identifier, got {item!r}")
        try:
            value = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            raise UsageError(f"--set {name}: {text!r} is not a Python literal (quote strings)") from None
        pairs.append((name.strip(), value))
    return tuple(pairs)


@main.command("report")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
def report(out: Path) -> None:
    """Render the reports, dashboard, gradebook and JUnit of a graded folder OUT again from its
    stored results, without regrading."""
    dashboard = reporting.rerender(out)
    click.echo(f"Class dashboard: {dashboard}")


def summary_table(results) -> str:
    """One line per submission: score, outcome counts, problems."""
    width = max([len(r.submission) for r in results] + [10])
    lines = [f"{'submission':<{width}}  {'score':>11}  {'passed':>6}  {'failed':>6}  notes"]
    for r in results:
        passed = sum(c.passed for c in r.checks)
        causes = sorted({c.outcome for c in r.checks if not c.passed} - {"failed"})
        notes = "; ".join(list(r.problems)[:2] + ([", ".join(causes)] if causes else []))
        lines.append(f"{r.submission:<{width}}  {r.score:>5g}/{r.max_score:<5g}  {passed:>6}  "
                     f"{len(r.checks) - passed:>6}  {notes[:100]}")
    return "\n".join(lines)
