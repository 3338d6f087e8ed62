"""Command-line interface: each command parses arguments, calls one library function, shows the result."""

from __future__ import annotations

from pathlib import Path

import click

from . import __version__
from . import assignment as assignments
from .data import fetch as fetching
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
