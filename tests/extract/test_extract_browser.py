"""The `govner extract --html` page in real headless Chromium: highlighted spans in the schema's
colours, and table rows that lead to their sentence."""
from __future__ import annotations

import os
import shutil

import pytest

from govner.cli import main as cli
from govner.extract.table import read_table
from govner.schema import LABELS
from helpers.browser import launch
from helpers.paths import ROOT, SEED_FILES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOT = ROOT / "docs" / "img" / "extract-report.png"
# Refreshed only on request, like the Label Studio screenshot:
#   GOVNER_UPDATE_SCREENSHOT=1 .venv/bin/pytest tests/extract/test_extract_browser.py
UPDATE_SCREENSHOT = os.environ.get("GOVNER_UPDATE_SCREENSHOT") == "1"
SEED = SEED_FILES[0]


def rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return f"rgb({int(h[0:2], 16)}, {int(h[2:4], 16)}, {int(h[4:6], 16)})"


def test_report_page_in_chromium(tmp_path):
    from playwright.sync_api import sync_playwright

    html_dir = tmp_path / "html"
    assert cli(["extract", "--model", "rules", str(SEED), "--out", str(tmp_path / "t.jsonl"),
                "--html", str(html_dir)]) == 0
    rows = read_table(tmp_path / "t.jsonl")
    page_path = html_dir / f"{SEED.stem}.html"

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_path.as_uri())
            page.wait_for_selector("mark.ent")

            # every label is highlighted, in the schema's colour
            for label in LABELS:
                marks = page.locator(f'#text mark.ent[data-label="{label.code}"]')
                assert marks.count() > 0, label.code
                style = marks.first.evaluate(
                    "m => [getComputedStyle(m).borderBottomColor, getComputedStyle(m).backgroundColor]")
                assert style[0] == rgb(label.colour)
                assert style[1].startswith(rgb(label.colour).replace("rgb(", "rgba(")[:-1])  # same hue, translucent
            n_value_marks = page.locator('#text mark.ent[data-label="VALUE"]').count()
            assert n_value_marks == len({(r["value_start"], r["value_end"]) for r in rows if r["kind"] == "measure"})

            # one table row per record, each linking to a sentence that exists
            assert page.locator("#measures tr.row-measure").count() == sum(r["kind"] == "measure" for r in rows)
            assert page.locator("#assignments tr.row-assignment").count() == sum(r["kind"] == "assignment" for r in rows)
            assert page.locator("#projects tr.row-project").count() == sum(r["kind"] == "project" for r in rows)
            dangling = page.evaluate("""() => [...document.querySelectorAll('a.sent-link')]
                .map(a => a.getAttribute('href').slice(1)).filter(id => !document.getElementById(id))""")
            assert dangling == []

            # clicking a row's link brings its sentence into view and marks it as the target
            row = next(r for r in rows if r["kind"] == "project" and r["sent_idx"] > 20)
            link = page.locator(f'#projects tr.row-project[data-sent="{row["sent_idx"]}"] a.sent-link').first
            link.click()
            page.wait_for_function(f"location.hash === '#s-{row['sent_idx']}'")
            target = page.locator(":target")
            assert target.get_attribute("id") == f"s-{row['sent_idx']}"
            assert row["project"] in target.inner_text()
            box, pane = target.bounding_box(), page.locator("#text").bounding_box()
            assert pane["y"] <= box["y"] <= pane["y"] + pane["height"], "the sentence was not scrolled into view"
            outline = target.evaluate("e => getComputedStyle(e).outlineStyle")
            assert outline == "solid"

            # the same for a measure row, then the screenshot with the target sentence outlined
            m = next(r for r in rows if r["kind"] == "measure" and r["indicator"] == "财政总收入")
            page.locator(f'#measures tr.row-measure[data-sent="{m["sent_idx"]}"] a.sent-link').first.click()
            page.wait_for_function(f"location.hash === '#s-{m['sent_idx']}'")
            assert m["value"] in page.locator(":target").inner_text()
            page.wait_for_timeout(300)
            shot = tmp_path / "extract-report.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
            assert all(u.startswith("file://") for u in requests), requests  # self-contained
            if UPDATE_SCREENSHOT:
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shot, SCREENSHOT)
        finally:
            browser.close()
