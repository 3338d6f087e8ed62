"""The reports in a real browser: Debian's Chromium driven by Playwright.

Opens the class dashboard and reports of a class graded through the CLI, and checks what a person
would notice: console errors, broken images, dead links, sorting, hidden details in the student
version, and that hostile output stays inert. Screenshots land in the test's temporary folder
(and in ``$GRADER_SCREENSHOTS`` when set, for CI artifacts).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from conftest import HOSTILE_ERROR
from playwright.sync_api import sync_playwright

pytestmark = pytest.mark.xdist_group("browser")  # one worker starts Chromium, once


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


@pytest.fixture
def review(tmp_path):
    """`grader review` on a class whose notebooks answered two_layer_net's questions."""
    import threading

    from written_class import graded_with_answers

    from grader.core import assignment as assignments
    from grader.review.server import prepare_review, serve, url_of

    out = graded_with_answers(tmp_path / "out")
    session = prepare_review(out, assignments.load("two_layer_net").written)
    httpd = serve(session, "127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = url_of(httpd, session).split("/?")[0]
    yield out, lambda question: f"{base}/question/{question}?token={session.token}"
    httpd.shutdown()
    httpd.server_close()


def open_review(browser, url: str):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: errors.append(f"dialog opened: {dialog.message}"))
    page.goto(url)
    return page, errors


def card(page, name: str):
    return page.locator(f".review-card[data-submission='{name}']")


def test_written_answers_graded_with_the_keyboard_persist_across_a_reload(browser, review, screenshots):
    out, url = review
    page, errors = open_review(browser, url("gap"))
    assert page.inner_text("#progress") == "0 of 4 graded"
    page.keyboard.press("j")  # alice
    page.keyboard.press("2")
    card(page, "alice").locator(".status").filter(has_text="Saved").wait_for()
    page.keyboard.press("j")  # bob
    page.keyboard.press("0")
    page.keyboard.press("c")
    page.keyboard.type("2 adds capacity: the gap grows")
    card(page, "bob").locator(".status").filter(has_text="Saved").wait_for()
    card(page, "bob").locator(".comment").press("Escape")
    card(page, "carol").locator(".item").first.check()  # ticking a rubric item sets the points
    card(page, "carol").locator(".status").filter(has_text="Saved").wait_for()
    page.wait_for_function("document.querySelector('#progress').textContent === '3 of 4 graded'")
    page.screenshot(path=str(screenshots / "review.png"), full_page=True)
    card(page, "mallory").locator(".comment").fill("Check the links")  # a comment before any points
    card(page, "mallory").locator(".status").filter(has_text="no points yet").wait_for()
    card(page, "bob").locator(".comment").fill("2 adds capacity: the gap grows. Typed just before the reload")
    page.reload()  # the save still waiting for the typing to pause is sent as the page goes
    for _ in range(50):
        if "Typed just before" in (out / "written.json").read_text():
            break
        time.sleep(0.1)
    page.reload()
    assert page.inner_text("#progress") == "3 of 4 graded"
    assert card(page, "alice").locator(".points").input_value() == "2"
    assert card(page, "bob").locator(".comment").input_value() == "2 adds capacity: the gap grows. Typed just before the reload"
    assert card(page, "carol").locator(".item").first.is_checked()
    assert card(page, "carol").locator(".points").input_value() == "1"
    assert card(page, "mallory").locator(".comment").input_value() == "Check the links"
    assert "draft: no points yet" in card(page, "mallory").inner_text()
    saved = json.loads((out / "written.json").read_text())["grades"]
    assert (saved["alice"]["gap"]["points"], saved["bob"]["gap"]["points"], saved["carol"]["gap"]["points"]) == (2, 0, 1)
    assert errors == []
    page.close()


def test_a_hostile_written_answer_is_inert_in_the_review(browser, review):
    _, url = review
    page, errors = open_review(browser, url("gap"))
    answer = card(page, "mallory").locator(".answer")
    assert "1, 3" in answer.inner_text() and answer.locator("b").inner_text() == "bold"
    answer.locator("b").hover()
    assert page.title().startswith("Inline Question")  # no script, handler or link ran
    assert page.locator("img").count() == 0 and page.locator("a[href^='javascript']").count() == 0
    assert page.locator("[onmouseover], [onerror]").count() == 0
    assert errors == []
    page.close()


def test_two_tabs_grading_one_answer_last_wins_and_the_page_says_so(browser, review):
    out, url = review
    first, _ = open_review(browser, url("gap"))
    second, _ = open_review(browser, url("gap"))
    card(first, "alice").locator(".points").fill("1")
    card(first, "alice").locator(".status").filter(has_text="Saved").wait_for()
    card(second, "alice").locator(".points").fill("2")  # this tab never saw the first save
    warning = card(second, "alice").locator(".status.warn")
    warning.wait_for()
    assert "graded elsewhere" in warning.inner_text() and "1 points" in warning.inner_text()
    first.reload()
    assert card(first, "alice").locator(".points").input_value() == "2"
    assert json.loads((out / "written.json").read_text())["grades"]["alice"]["gap"]["points"] == 2
    first.close()
    second.close()


def test_a_regraded_answer_that_changed_is_flagged_and_keeps_its_grade_until_confirmed(browser, review):
    from written_class import regraded_answer

    out, url = review
    page, errors = open_review(browser, url("tuning"))
    card(page, "bob").locator(".points").fill("1.5")
    card(page, "bob").locator(".status").filter(has_text="Saved").wait_for()
    regraded_answer(out, "bob", 21, "A new explanation, written after the first grading.")
    page.reload()
    bob = card(page, "bob")
    assert "changed since graded" in bob.inner_text() and "A new explanation" in bob.inner_text()
    assert bob.locator(".points").input_value() == "1.5" and page.inner_text("#progress") == "0 of 4 graded"
    bob.locator("button.confirm").click()
    bob.locator(".status").filter(has_text="Saved").wait_for()
    assert "changed since graded" not in bob.inner_text() and page.inner_text("#progress") == "1 of 4 graded"
    assert errors == []
    page.close()
