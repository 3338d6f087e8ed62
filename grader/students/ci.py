"""``grader ci init``: CI files for a student's submission repository.

The jobs install ``grader``, run the public checks with ``grader check`` (offline: the checks and
the reference's answers ship in the repository's ``.grader/``), keep the HTML report and JUnit
XML as artifacts (GitLab also shows the JUnit in merge requests) and fail below a threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.core.errors import UsageError
from grader.core.version import __version__

DISTRIBUTION = "nn-grader"  # this project on the package index ("grader" there is another project)
PUBLISHED = False  # set when DISTRIBUTION is on PyPI: `ci init` then installs that version by default
REPORT_DIR = "grader-report"
GITHUB = ".github/workflows/grader.yml"
GITLAB = ".gitlab-ci.yml"


@dataclass(frozen=True)
class CiOptions:
    assignment: str
    fail_under: float = 100.0
    install: str = ""
    python: str = "3.11"

    @property
    def check_command(self) -> str:
        return f"grader check {self.assignment} --fail-under {self.fail_under:g} -o {REPORT_DIR}"

    @property
    def install_command(self) -> str:
        return f"python -m pip install '{self.install or default_install()}'"


def default_install() -> str:
    """What the CI jobs install when ``--install`` is not given: this version from the package
    index once it is published there; until then the course must say where its copy lives."""
    if PUBLISHED:
        return f"{DISTRIBUTION}=={__version__}"
    raise UsageError(
        f"{DISTRIBUTION} {__version__} is not published on the package index, so the CI jobs cannot "
        "install it by name. Pass --install with where your course's copy lives: a git URL, e.g. "
        "--install 'git+https://github.com/COURSE/grader@v" + __version__ + "', or the URL of a wheel you "
        "host (build one with: python -m pip wheel --no-deps -w dist .). Students' CI installs exactly that."
    )


def github_workflow(o: CiOptions) -> str:
    return f"""# Written by `grader ci init`: the public checks of {o.assignment} on every push.
name: grader
on: [push, pull_request]
jobs:
  public-checks:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{o.python}"
      - name: Install grader
        run: {o.install_command}
      - name: Run the public checks (fails below {o.fail_under:g}%)
        run: {o.check_command}
      - name: Keep the HTML report and JUnit XML
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: {REPORT_DIR}
          path: {REPORT_DIR}/
"""


def gitlab_ci(o: CiOptions) -> str:
    return f"""# Written by `grader ci init`: the public checks of {o.assignment} on every push.
public-checks:
  image: python:{o.python}
  timeout: 30 minutes
  script:
    - {o.install_command}
    - {o.check_command}
  artifacts:
    when: always
    paths:
      - {REPORT_DIR}/
    reports:
      junit: {REPORT_DIR}/*/junit.xml
"""


def ci_files(options: CiOptions, github: bool = True, gitlab: bool = True) -> dict[str, str]:
    files = {}
    if github:
        files[GITHUB] = github_workflow(options)
    if gitlab:
        files[GITLAB] = gitlab_ci(options)
    return files


def write_ci_files(folder: Path, files: dict[str, str], force: bool = False) -> list[Path]:
    """Write ``files`` under ``folder``; existing files are kept unless ``force``."""
    existing = [rel for rel in files if (folder / rel).exists()]
    if existing and not force:
        raise UsageError(f"{', '.join(existing)} already exist{'s' * (len(existing) == 1)}; pass --force to replace")
    written = []
    for rel, text in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
