"""Command-line interface: each command parses arguments, calls one library function, shows the result."""

from __future__ import annotations

import ast
import signal
import webbrowser
from pathlib import Path

import click
from tqdm import tqdm

from grader import report as reporting
from grader.authoring.release import release
from grader.batch.one import run_info, write_outputs
from grader.batch.run import BatchOptions, grade_all
from grader.core import assignment as assignments
from grader.core.assignment import HIDDEN_VISIBILITIES
from grader.core.errors import ScoreBelowThreshold, UsageError
from grader.core.paths import META
from grader.core.settings import ISOLATIONS, effective_jobs, resolve
from grader.core.version import __version__
from grader.core.written import WRITTEN_FILE
from grader.data import fetch as fetching
from grader.data.grading import CHOICES, grading_data
from grader.data.locate import cifar10_source, default_data_dir, locate_cifar10
from grader.gradescope.bundle import BundleOptions
from grader.gradescope.bundle import build as build_bundle
from grader.grading.grade import GradeOptions
from grader.jail import environment
from grader.jail.sandbox import no_jail_warning, required_level
from grader.report.text import failures_by_cause, summary_table
from grader.review.server import finish, prepare_review, serve, url_of
from grader.similarity.fingerprints import THRESHOLD
from grader.similarity.pairs import SimilarityOptions, find_similar
from grader.students.check import find_folder, self_check
from grader.students.ci import CiOptions, ci_files, write_ci_files


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


@main.group("env")
def env_group() -> None:
    """The students' Python environment of an assignment ([environment] in assignment.toml)."""


@env_group.command("build")
@click.argument("assignment")
@click.option(
    "--wheelhouse",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    envvar="GRADER_WHEELHOUSE",
    help="Install only from the wheels in this folder, offline.",
)
def env_build(assignment: str, wheelhouse: Path | None) -> None:
    """Build ASSIGNMENT's environment into the cache (once per machine; grading reuses it)."""
    spec = assignments.load(assignment)
    built = environment.ensure(spec, wheelhouse, say=lambda text: click.echo(text, err=True))
    if built is None:
        click.echo(f"{spec.name} declares no [environment]: student code runs on the grader's own Python")
        return
    installed = built.describe()["installed"]
    click.echo(
        f"{spec.name}: {built.python} ({len(installed)} packages: "
        f"{', '.join(p for p in installed if p.split('==')[0].lower() in ('numpy', 'six', 'ipykernel'))}...)"
    )


@env_group.command("download")
@click.argument("assignment")
@click.option(
    "-d", "--dest", type=click.Path(file_okay=False, path_type=Path), required=True, help="Folder to fill with wheels."
)
def env_download(assignment: str, dest: Path) -> None:
    """Download wheels of ASSIGNMENT's environment for `grader env build --wheelhouse` on a
    machine without the package index (same Python version and platform)."""
    wheels = environment.download(assignments.load(assignment), dest)
    click.echo(f"{len(wheels)} wheels in {dest}; build offline with: grader env build {assignment} --wheelhouse {dest}")


@main.group()
def data() -> None:
    """Datasets: fetch CIFAR-10, show where it is."""


@data.command("fetch")
@click.argument("dataset", type=click.Choice(["cifar10"]))
@click.option(
    "--dir",
    "dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to download into [default: the user data dir].",
)
@click.option(
    "--url",
    default=fetching.OFFICIAL_URL,
    show_default=True,
    envvar="GRADER_CIFAR10_URL",
    help="Mirror to download from.",
)
@click.option("--md5", default=fetching.OFFICIAL_MD5, show_default=True, help="Expected MD5 of the archive.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def data_fetch(dataset: str, dest: Path | None, url: str, md5: str, quiet: bool) -> None:
    """Download DATASET, verify its checksum and unpack it."""
    options = fetching.FetchOptions(url=url, md5=md5, progress=not quiet)
    folder = fetching.fetch_cifar10(dest or default_data_dir(), options)
    click.echo(f"CIFAR-10 is ready in {folder}")


@data.command("locate")
@click.argument("dataset", type=click.Choice(["cifar10"]))
@click.option("--dir", "cli_dir", type=click.Path(path_type=Path), default=None, help="Look here first.")
def data_locate(dataset: str, cli_dir: Path | None) -> None:
    """Print where DATASET is found (flag > CIFAR10_DIR > [tool.grader] > user data dir)."""
    click.echo(str(locate_cifar10(cli_dir)))


@main.command("grade")
@click.argument("assignment")
@click.argument("submissions", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for results, one sub-folder per submission [default: grader-out].",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    default=None,
    help="Submissions graded at once [default: 0 = one per core].",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="tcp://HOST:PORT",
    help="Grade on this Dask cluster instead of this machine's cores.",
)
@click.option("--force", is_flag=True, help="Regrade every submission, even those unchanged since the last run.")
@click.option(
    "--isolation",
    type=click.Choice(ISOLATIONS),
    default=None,
    help="How to jail student code [default: auto = the strongest available].",
)
@click.option("--public-only", is_flag=True, help="Run only the public checks.")
@click.option(
    "-k",
    "--select",
    default="",
    metavar="EXPR",
    help="Run only the checks whose names match this pytest -k expression.",
)
@click.option(
    "--fail-under", type=float, default=None, help="Exit with code 6 when a submission scores below this percentage."
)
@click.option(
    "--dataset",
    type=click.Choice(CHOICES),
    default=None,
    help="Data for notebooks and accuracy checks [default: auto = CIFAR-10 if found, else synthetic].",
)
@click.option(
    "--cifar10-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Where CIFAR-10 is (else CIFAR10_DIR, [tool.grader] cifar10_dir, the user data dir).",
)
@click.option(
    "--notebooks/--no-notebooks", default=None, help="Run the notebooks [default: yes]; without them their checks fail."
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    envvar="GRADER_NOTEBOOK_SET",
    help="Set a notebook variable after its parameters cell, e.g. --set ITERATION_BUDGET=0.1 "
    "(VALUE is a Python literal; repeatable).",
)
@click.option(
    "--similarity",
    "compare",
    is_flag=True,
    help="Then compare the students' own code pairwise (see `grader similarity`).",
)
def grade(
    assignment: str,
    submissions: tuple[Path, ...],
    cifar10_dir: Path | None,
    select: str,
    public_only: bool,
    force: bool,
    overrides: tuple[str, ...],
    compare: bool,
    **given,
) -> None:
    """Grade SUBMISSIONS (folders, .zip files, notebooks, or class folders) for ASSIGNMENT.

    ASSIGNMENT is a built-in name (see `grader assignments`) or an assignment folder. A class
    folder holds one sub-folder, .zip or .ipynb per student (a Gradescope or LMS bulk download
    unpacked). Unchanged submissions keep their previous results; a killed run resumes.
    Settings not given here come from GRADER_* variables, then [tool.grader] in pyproject.toml,
    then the assignment's [grader] table (see `grader config`).
    """
    spec = assignments.load(assignment)
    conf = {k: v.value for k, v in configured(spec, given).items()}
    unjailed = no_jail_warning(required_level(conf["isolation"], conf["require_isolation"]))
    if unjailed:
        click.secho(unjailed, err=True, fg="red", bold=True)
    wheelhouse = Path(conf["wheelhouse"]) if conf["wheelhouse"] else None
    environment.ensure(spec, wheelhouse, say=lambda text: click.echo(text, err=True))  # before any grading
    data = grading_data(conf["dataset"], cifar10_dir)
    if data.note:
        click.echo(f"warning: {data.note}", err=True)
    grading = GradeOptions(
        isolation=conf["isolation"],
        public_only=public_only,
        select=select,
        data=data,
        notebooks=conf["notebooks"],
        parameters=parse_overrides(overrides),
        wheelhouse=wheelhouse,
    )
    out = Path(conf["out"])
    jobs = effective_jobs(conf["jobs"])
    with tqdm(desc="grading", unit="submission", disable=None, leave=False, dynamic_ncols=True) as bar:
        options = BatchOptions(
            grading,
            jobs=jobs,
            scheduler=conf["scheduler"],
            force=force,
            on_start=lambda n: bar.reset(total=n),
            on_done=lambda r, reused: None if reused else bar.update(),
            dataset=data.describe(),
        )
        batch = grade_all(spec, submissions, out, options)
    show_batch(batch, out, jobs, conf["scheduler"])
    if compare:
        show_similar(similar_code(spec, out, SimilarityOptions()))
    if any(r.isolation == "rlimits" for r in batch.results):
        click.secho("\n" + (unjailed or no_jail_warning("rlimits")), err=True, fg="red", bold=True)
    below(batch.results, conf["fail_under"])


def configured(spec: assignments.Assignment, given: dict) -> dict:
    return resolve(given, spec.defaults, str(spec.root / "assignment.toml"))


def show_batch(batch, out: Path, jobs: int, scheduler: str) -> None:
    click.echo(summary_table(batch.results))
    causes = failures_by_cause(batch.results)
    if causes:
        click.echo("\n" + causes)
    where = f"on {scheduler}" if scheduler else f"{jobs} at a time"
    reused = (
        f"; {batch.reused} unchanged since the last run kept their results (--force regrades them)"
        if batch.reused
        else ""
    )
    click.echo(f"\nGraded {batch.graded} submission{'s' * (batch.graded != 1)} {where}{reused}.")
    click.echo(f"Results: {out}/<submission>/results.json, report.html, junit.xml; gradebook: {out / 'gradebook.csv'}")
    click.echo(f"Class dashboard: {out / 'index.html'}")


def below(results, fail_under: float | None) -> None:
    low = [r.submission for r in results if fail_under is not None and r.below(fail_under)]
    if low:
        raise ScoreBelowThreshold(f"below --fail-under {fail_under:g}%: {', '.join(low)}")


@main.command("config")
@click.argument("assignment", required=False)
def config(assignment: str | None) -> None:
    """Show each setting's effective value and where it comes from (command line > GRADER_*
    environment > [tool.grader] in pyproject.toml > the assignment's [grader] > default)."""
    spec = assignments.load(assignment) if assignment else None
    values = configured(spec, {}) if spec else resolve({})
    rows = [(v.name, "" if v.value is None else str(v.value), v.source) for v in values.values()]
    source, path = cifar10_source()
    rows.append(("cifar10_dir", path, source))
    width = max(len(r[1]) for r in rows) + 2
    click.echo(f"{'setting':<12}  {'value':<{width}}source")
    for name, value, source in rows:
        click.echo(f"{name:<12}  {value:<{width}}{source}")


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


@main.command("check")
@click.argument("assignment", required=False)
@click.option("-k", "--select", default="", metavar="EXPR", help="Run only the checks matching this expression.")
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write report.html, junit.xml and results.json into this folder (for CI).",
)
@click.option(
    "--fail-under",
    type=float,
    default=100.0,
    show_default=True,
    help="Exit with code 6 when the public score is below this percentage.",
)
@click.option(
    "--isolation",
    type=click.Choice(ISOLATIONS),
    default=None,
    envvar="GRADER_ISOLATION",
    help="How to jail your code [default: auto].",
)
def check(assignment: str | None, select: str, out: Path | None, fail_under: float, isolation: str | None) -> None:
    """Check your work on the public checks, inside the assignment folder you received.

    Works offline: the checks and the reference's answers ship in the folder's .grader/.
    ASSIGNMENT (optional) is the assignment's name, to make sure you are in the right folder.
    """
    report = self_check(find_folder(Path.cwd(), assignment), select, isolation)
    click.echo(report.text(), nl=False)
    if out is not None:
        folder = out / report.result.submission
        write_outputs(folder, report.result, run_info(assignments.load(report.folder / META)))
        click.echo(f"Report: {folder / 'report.html'}  JUnit: {folder / 'junit.xml'}")
    result = report.result
    if result.below(fail_under):
        raise ScoreBelowThreshold(
            f"{100 * result.score / max(result.max_score, 1e-9):.0f}% of the public "
            f"points, below the {fail_under:g}% required"
        )


@main.command("release")
@click.argument("assignment")
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write [default: student_template/<name> in the current folder].",
)
def release_command(assignment: str, out: Path | None) -> None:
    """Write the student version of ASSIGNMENT: solutions stubbed, public checks and the
    reference's recorded answers for `grader check`, no hidden check or solution."""
    spec = assignments.load(assignment)
    dest = out or Path("student_template") / spec.root.name
    info = release(spec, dest)
    click.echo(
        f"Released {spec.name} to {dest}: {len(info.public)} public checks, {info.answers} recorded "
        f"answers; withheld {info.hidden} hidden and {len(info.grading_time)} grading-time checks."
    )


@main.command("gradescope")
@click.argument("assignment")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("autograder.zip"),
    show_default=True,
    help="The zip to write.",
)
@click.option(
    "--dataset",
    default="cifar10",
    show_default=True,
    metavar="cifar10|synthetic|DIR",
    help="cifar10: downloaded and checksummed at setup; synthetic: the grader's own; DIR: a folder "
    "with CIFAR-10's python batches, put in the zip.",
)
@click.option(
    "--hidden-visibility",
    type=click.Choice(HIDDEN_VISIBILITIES),
    default=None,
    help="When students see hidden checks [default: the assignment's, else after_published].",
)
@click.option(
    "--time-budget",
    type=click.FloatRange(60, 86400),
    default=None,
    metavar="SECONDS",
    help="The autograder timeout set on Gradescope [default: the assignment's, else 2400].",
)
@click.option(
    "--wheelhouse",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Take the grader's wheel and its dependencies from this folder (offline).",
)
@click.option(
    "--student-wheelhouse",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Take the students' environment's wheels from this folder (offline; see `grader env download`).",
)
def gradescope(
    assignment: str,
    out: Path,
    dataset: str,
    hidden_visibility: str | None,
    time_budget: float | None,
    wheelhouse: Path | None,
    student_wheelhouse: Path | None,
) -> None:
    """Write the Gradescope autograder zip of ASSIGNMENT: upload it on the assignment's
    "Configure Autograder" page. The image installs this grader, the students' environment and
    the dataset from it, and proves itself by grading the reference (full marks) once."""
    spec = assignments.load(assignment)
    options = BundleOptions(dataset, wheelhouse, student_wheelhouse, hidden_visibility, time_budget)
    build_bundle(spec, out, options, say=lambda text: click.echo(text, err=True))
    click.echo(f"Upload {out} on Gradescope: assignment > Configure Autograder > Zip file upload.")


@main.group()
def ci() -> None:
    """Continuous integration for submission repositories."""


@ci.command("init")
@click.option(
    "--fail-under",
    type=float,
    default=100.0,
    show_default=True,
    help="Fail the build below this percentage of the public points.",
)
@click.option(
    "--install",
    default="",
    envvar="GRADER_CI_INSTALL",
    help="What the jobs pip-install: a git+https://... URL or a wheel URL of your course's grader "
    "(or nn-grader==VERSION once published) [required until nn-grader is on PyPI].",
)
@click.option("--github/--no-github", default=True, help="Write .github/workflows/grader.yml.")
@click.option("--gitlab/--no-gitlab", default=True, help="Write .gitlab-ci.yml.")
@click.option("--force", is_flag=True, help="Replace existing CI files.")
def ci_init(fail_under: float, install: str, github: bool, gitlab: bool, force: bool) -> None:
    """Write CI files that run `grader check` on every push of this assignment repository,
    keep the HTML report and JUnit XML, and fail below --fail-under."""
    folder = find_folder(Path.cwd())
    name = assignments.load(folder / META).name
    files = ci_files(CiOptions(name, fail_under, install), github, gitlab)
    for path in write_ci_files(folder, files, force):
        click.echo(f"wrote {path}")
    click.echo("Commit them; every push then runs the public checks.")


@main.command("similarity")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--known",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A folder of solutions collected elsewhere (as submissions or loose files) to compare with.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    default=THRESHOLD,
    show_default=True,
    help="Flag a pair when this share of one side's own code is found in the other.",
)
@click.option(
    "--assignment", "name", default=None, help="The assignment OUT was graded for [default: the one in OUT/run.json]."
)
def similarity(out: Path, known: Path | None, threshold: float, name: str | None) -> None:
    """Compare the students' own code in the graded folder OUT: every pair, and every submission
    with the files under --known. Writes OUT/similarity.json, a side-by-side page per flagged pair,
    and the dashboard's "Similar code" section. Scores are not changed."""
    spec = assignments.load(name or graded_assignment(out))
    show_similar(similar_code(spec, out, SimilarityOptions(known, threshold)))
    click.echo(f"Class dashboard: {out / 'index.html'}")


def graded_assignment(out: Path) -> str:
    run = reporting.load_run(out)
    return run.source if run.source and Path(run.source, "assignment.toml").is_file() else run.assignment


def similar_code(spec: assignments.Assignment, out: Path, options: SimilarityOptions) -> dict:
    with tqdm(desc="fingerprinting", unit="submission", disable=None, leave=False, dynamic_ncols=True) as bar:
        return find_similar(spec, out, options, progress=bar.update)


def show_similar(found: dict) -> None:
    pairs = found["pairs"]
    common = len(found["common_pairs"])
    click.echo(
        f"Similar code: {found['submissions']} submissions and {found['known_files']} known files compared; "
        f"{len(pairs)} pair{'s' * (len(pairs) != 1)} flagged"
        + (f", {common} more alike in code much of the class shares" if common else "")
        + " (details: similarity.json, dashboard)."
    )
    for p in pairs[:10]:
        a, b = next(iter(p["a"].values())), next(iter(p["b"].values()))
        click.echo(
            f"  {a} ~ {'known ' if 'known' in p['b'] else ''}{b}: {100 * p['share_a']:.0f}% / {100 * p['share_b']:.0f}%"
        )
    if len(pairs) > 10:
        click.echo(f"  ... and {len(pairs) - 10} more")
    for name, why in found["not_compared"].items():
        click.echo(f"  not compared: {name}: {why}", err=True)


@main.command("review")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; any other than 127.0.0.1 lets others on the network reach the "
    "page (the token in its address still guards it).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port [default: a free one].")
@click.option("--no-browser", is_flag=True, help="Only print the address; do not open a browser.")
@click.option(
    "--assignment", "name", default=None, help="The assignment OUT was graded for [default: the one in OUT/run.json]."
)
def review(out: Path, host: str, port: int, no_browser: bool, name: str | None) -> None:
    """Grade the written answers of the graded folder OUT in the browser, question by question.
    Grades are saved to OUT/written.json on every change; on Ctrl-C every report, the dashboard,
    the gradebook and results.json are rendered again with them."""
    spec = assignments.load(name or graded_assignment(out))
    session = prepare_review(out, spec.written)
    server = serve(session, host, port)
    address = url_of(server, session)
    click.echo(
        f"Written answers of {out}: {address}\nGrades are saved to {out / WRITTEN_FILE} as you go; "
        "press Ctrl-C when done."
    )
    if not no_browser:
        webbrowser.open(address)
    # Ctrl-C, or a TERM from a process manager, ends it (even started in the background, where
    # the shell ignores SIGINT for it)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    click.echo(f"Reports rendered again with the written grades. Class dashboard: {finish(session)}")


@main.command("report")
@click.argument("out", type=click.Path(exists=True, file_okay=False, path_type=Path))
def report(out: Path) -> None:
    """Render the reports, dashboard, gradebook and JUnit of a graded folder OUT again from its
    stored results, without regrading."""
    dashboard = reporting.rerender(out)
    click.echo(f"Class dashboard: {dashboard}")
