"""``grader similarity OUT``: pairs of a graded class whose own code is alike, and submissions
alike a solution the instructor collected (``--known DIR``), for a person to look at.

Reads each ``OUT/<id>/code.json`` (written when the submission was graded), compares every pair
(:mod:`grader.similarity.fingerprints`), writes ``OUT/similarity.json`` and a side-by-side page per flagged
pair under ``OUT/similarity/``; the dashboard shows them. Scores are never changed by it, and no
student's report shows another's code.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.core.assignment import Assignment
from grader.core.errors import UsageError
from grader.core.files import write_json, write_text
from grader.core.version import __version__
from grader.grading.owncode import CODE_FILE, OwnFile, known_code, templates
from grader.report import SIMILARITY_FILE, load_run, rerender_dashboard
from grader.report.html import render_similar_pair  # the report layer renders; this module decides
from grader.similarity.fingerprints import (
    THRESHOLD,
    WINDOW,
    Document,
    Fingerprints,
    K,
    Pair,
    alike_but_common,
    fingerprint,
    flagged,
    marked_lines,
    matched_spans,
    pair_shares,
    template_fingerprints,
)

PAGES = "similarity"


@dataclass(frozen=True)
class SimilarityOptions:
    """``known``: a folder of solutions collected elsewhere; ``threshold``: the share that flags a pair."""

    known: Path | None = None
    threshold: float = THRESHOLD


def class_documents(out: Path) -> tuple[list[Document], dict[str, str], dict[str, str]]:
    """The graded submissions' own code, their content hashes, and why any cannot be compared."""
    documents, hashes, missing = [], {}, {}
    for folder in sorted(p for p in out.iterdir() if (p / "result.json").is_file()):
        path = folder / CODE_FILE
        if not path.is_file():
            missing[folder.name] = f"no {CODE_FILE} (graded by an older grader: regrade it with --force)"
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("problem"):
            missing[folder.name] = f"its code could not be read ({data['problem']})"
        documents.append(Document(folder.name, tuple(OwnFile.from_json(f) for f in data["files"])))
        hashes[folder.name] = str(data.get("content_hash", ""))
    return documents, hashes, missing


def known_documents(assignment: Assignment, folder: Path) -> list[Document]:
    """One document per file of the known solutions' folder."""
    if not folder.is_dir():
        raise UsageError(f"--known {folder}: not a folder")
    return [Document(f.path, (f,), known=True) for f in known_code(assignment, folder)]


def compared_pairs(documents: Sequence[Document]) -> list[tuple[int, int]]:
    """Every pair of submissions, and every submission with every known file."""
    return [(a, b) for a in range(len(documents)) for b in range(a + 1, len(documents)) if not documents[a].known]


def fingerprinted(
    assignment: Assignment, documents: Sequence[Document], progress: Callable[[int], None] | None = None
) -> list[list[Fingerprints]]:
    """Each document's files fingerprinted, the template's fingerprints left out."""
    boilerplate = template_fingerprints("\n".join(lines) for _, lines in templates(assignment.root))
    prints = []
    for document in documents:
        prints.append([fingerprint(f.text, boilerplate) for f in document.files])
        if progress:
            progress(1)
    return prints


def find_similar(
    assignment: Assignment,
    out: Path,
    options: SimilarityOptions = SimilarityOptions(),
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Compare the class graded into ``out`` (and ``options.known``); write ``similarity.json``, the
    pages of the flagged pairs and the dashboard with them; returns what was written to the JSON."""
    run = load_run(out)
    documents, hashes, missing = class_documents(out)
    if options.known is not None:
        documents += known_documents(assignment, options.known)
    prints = fingerprinted(assignment, documents, progress)
    sets = [frozenset(h for p in printed for h in p.positions) for printed in prints]
    scored = pair_shares(sets, compared_pairs(documents))
    pairs, common = flagged(scored, options.threshold), alike_but_common(scored, options.threshold)
    pair_data, common_data = [pair_json(p, documents) for p in pairs], [pair_json(p, documents) for p in common]
    report = {
        "assignment": assignment.name,
        "grader_version": __version__,
        "parameters": {"k": K, "window": WINDOW, "threshold": options.threshold},
        "submissions": sum(not d.known for d in documents),
        "known_files": sum(d.known for d in documents),
        "content_hashes": hashes,
        "not_compared": missing,
        "pairs": pair_data,
        "common_pairs": common_data,
    }
    shutil.rmtree(out / PAGES, ignore_errors=True)
    for pair, data in zip(pairs + common, pair_data + common_data):
        write_page(
            out / data["page"],
            run,
            data,
            [(documents[i], prints[i]) for i in (pair.a, pair.b)],
            sets[pair.a] & sets[pair.b],
        )
    write_json(out / SIMILARITY_FILE, report)
    rerender_dashboard(out)
    return report


def side(document: Document) -> dict[str, str]:
    return {"known": document.name} if document.known else {"submission": document.name}


def page_name(documents: Sequence[Document], pair: Pair) -> str:
    key = json.dumps([side(documents[pair.a]), side(documents[pair.b])], sort_keys=True)
    return f"{PAGES}/pair-{hashlib.sha256(key.encode()).hexdigest()[:16]}.html"


def pair_json(pair: Pair, documents: Sequence[Document]) -> dict:
    return {
        "a": side(documents[pair.a]),
        "b": side(documents[pair.b]),
        "share_a": pair.share_a,
        "share_b": pair.share_b,
        "plain_a": pair.plain_a,
        "plain_b": pair.plain_b,
        "shared_fingerprints": pair.shared,
        "page": page_name(documents, pair),
    }


def side_view(document: Document, printed: Sequence[Fingerprints], common: frozenset[int]) -> dict:
    """One column of a side-by-side page: each file's own lines with the matched code marked."""
    files = [
        {"path": f.path, "rows": marked_lines(f, matched_spans(p, common))} for f, p in zip(document.files, printed)
    ]
    return {"name": document.name, "known": document.known, "files": files}


def write_page(
    path: Path, run, data: dict, sides: Sequence[tuple[Document, Sequence[Fingerprints]]], common: frozenset[int]
) -> None:
    """The side-by-side page of one pair, its shared fingerprints highlighted."""
    write_text(path, render_similar_pair(data, [side_view(d, p, common) for d, p in sides], run))
