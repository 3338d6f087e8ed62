"""``python -m grader`` runs the command-line interface."""

from grader.cli import main

main(prog_name="grader")
