"""The reports in a real browser: Debian's Chromium driven by Playwright.

Opens the class dashboard and reports of a class graded through the CLI, and checks what a person
would notice: console errors, broken images, dead links, sorting, hidden details in the student
version, and that hostile output stays inert. Screenshots land in the test's temporary folder
(and in ``$GRADER_SCREENSHOTS`` when set, for CI artifacts).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from playwright.sync_api import sync_playwright

from conftest import HOSTILE_ERROR


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Chromium is not installed: apt-get install -y chromium (.ci/run does this)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("GRADER_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_page(browser, path: Path, width: int = 1200):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: errors.append(f"dialog opened: {dialog.message}"))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors


def assert_images_rendered(page) -> int:
    sizes = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
    assert all(complete and width > 0 for complete, width in sizes), sizes
    return len(sizes)


def assert_links_resolve(page, here: Path) -> None:
    for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
        url = urlparse(href)
        assert url.scheme == "file", f"report links outside the output folder: {href}"
        assert Path(unquote(url.path)).is_file(), f"dead link {href} in {here}"


def test_dashboard_in_chromium(browser, graded_class, screenshots):
    page, errors = open_page(browser, graded_class / "index.html")
    assert page.title() == "two_layer_net · class dashboard"
    assert assert_images_rendered(page) == 1  # the score histogram
    assert_links_resolve(page, graded_class / "index.html")
    names = page.eval_on_selector_all("#students tbody tr td:first-child a:first-child", "els => els.map(e => e.textContent)")
    assert names == ["alice", "bob", "carol", "mallory"]
    page.click("#students thead th:nth-child(2)")  # score, ascending
    page.click("#students thead th:nth-child(2)")  # descending
    names = page.eval_on_selector_all("#students tbody tr td:first-child a:first-child", "els => els.map(e => e.textContent)")
    assert names[0] == "alice" and names[-1] == "carol"
    page.screenshot(path=str(screenshots / "dashboard.png"), full_page=True)
    page.click("text=bob")
    assert page.url.endswith("bob/report.instructor.html")
    assert errors == []
    page.close()


@pytest.mark.parametrize("width", [1200, 390])
def test_student_and_instructor_reports_in_chromium(browser, graded_class, screenshots, width):
    instructor, errors = open_page(browser, graded_class / "bob" / "report.instructor.html", width)
    student, student_errors = open_page(browser, graded_class / "bob" / "report.html", width)
    for page, folder in ((instructor, "bob"), (student, "bob")):
        assert assert_images_rendered(page) >= 2  # the grader's training curves
        assert_links_resolve(page, graded_class / folder)
    # bob uses 0.5*reg: the hidden check on another shape fails with its inputs in the message.
    hidden_message = "loss at reg=0.1"
    assert hidden_message in instructor.inner_text("body")
    assert hidden_message not in student.inner_text("body")
    assert "Hidden check: its inputs and expected values are not shown." in student.inner_text("body")
    assert "this assignment uses reg * sum(W**2)" in student.inner_text("body")  # public check explained
    student.screenshot(path=str(screenshots / f"student-{width}.png"), full_page=True)
    instructor.screenshot(path=str(screenshots / f"instructor-{width}.png"), full_page=True)
    assert errors == [] and student_errors == []
    assert (screenshots / f"student-{width}.png").stat().st_size > 10_000


def test_hostile_output_stays_inert_in_chromium(browser, graded_class, screenshots):
    page, errors = open_page(browser, graded_class / "mallory" / "report.html")
    assert page.title().startswith("mallory")  # the injected script would have set it to 'pwned'
    assert HOSTILE_ERROR in page.inner_text("body")  # shown as text
    assert page.eval_on_selector_all("img", "els => els.filter(e => e.getAttribute('src') === 'x').length") == 0
    assert errors == []
    page.screenshot(path=str(screenshots / "hostile.png"), full_page=True)


def test_similar_code_side_by_side_in_chromium(browser, graded_class, screenshots):
    """From the dashboard's similar-code table to a pair's page: both sides next to each other,
    matches highlighted, mallory's hostile code shown as text."""
    page, errors = open_page(browser, graded_class / "index.html")
    rows = page.eval_on_selector_all("#similar tbody tr", "els => els.map(e => e.textContent)")
    assert len(rows) == 3 and sum("mallory" in row for row in rows) == 2
    page.click("#similar tbody tr:has-text('mallory') >> text=side by side")
    page.wait_for_load_state("load")
    assert page.title().endswith("similar code")  # the hostile print would have set it to 'pwned'
    assert page.locator("mark").count() >= 5
    left, right = (page.locator(".sidebyside > section").nth(i).bounding_box() for i in (0, 1))
    assert left["x"] + left["width"] <= right["x"] and abs(left["y"] - right["y"]) < 2
    assert "<script>document.title='pwned'</script>" in page.inner_text("body")
    assert_links_resolve(page, graded_class / "similarity")
    page.screenshot(path=str(screenshots / "similar.png"), full_page=True)
    assert errors == []
    page.close()
