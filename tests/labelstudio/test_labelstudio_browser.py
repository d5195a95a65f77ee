"""An annotator in a real browser: the labeling page shows the Chinese text and label names,
and submitting the rule pre-annotation stores label codes, not the Chinese names."""
from __future__ import annotations

import os
import shutil

import pytest

from govner.fileio import atomic_write_jsonl
from govner.labelstudio.client import Client
from govner.assist.ls import push
from govner.schema import LABEL_CODES, LABELS
from helpers.browser import launch
from helpers.paths import ROOT, SEED_FILES

pytestmark = [pytest.mark.labelstudio, pytest.mark.browser, pytest.mark.slow]

SCREENSHOT = ROOT / "docs" / "img" / "labelstudio-labeling.png"
# The README's screenshot is refreshed only on request, so a test run never dirties the tree:
#   GOVNER_UPDATE_SCREENSHOT=1 .venv/bin/pytest tests/labelstudio/test_labelstudio_browser.py
UPDATE_SCREENSHOT = os.environ.get("GOVNER_UPDATE_SCREENSHOT") == "1"


def seed_sentence() -> dict:
    from govner.text.prepare import prepare

    _, records, _ = prepare([str(SEED_FILES[0])], progress=False)
    return next(r for r in records if "财政总收入增长10%" in r["text"])


def test_labeling_page_in_chromium(label_studio, tmp_path):
    from playwright.sync_api import sync_playwright

    record = seed_sentence()
    path = tmp_path / "one.jsonl"
    atomic_write_jsonl(path, [record])
    client = Client(label_studio["url"], label_studio["token"])
    pid, imported, _ = push(client, str(path), "govner-browser", prelabel="rules")
    assert imported == 1
    [task] = list(client.ls.tasks.list(project=pid))

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{label_studio['url']}/user/login/")
            page.fill("input[name=email]", label_studio["username"])
            page.fill("input[name=password]", label_studio["password"])
            page.click("button[type=submit]")
            page.wait_for_url(lambda u: "/user/login" not in u, timeout=60_000)
            page.goto(f"{label_studio['url']}/projects/{pid}/data?task={task.id}")
            page.get_by_text("财政总收入增长10%", exact=False).first.wait_for(timeout=90_000)
            for label in LABELS:  # the label buttons show the Chinese names, hotkeys beside them
                page.get_by_text(label.zh, exact=True).first.wait_for(timeout=30_000)
            assert page.get_by_text("INDICATOR", exact=True).count() == 0
            page.wait_for_timeout(1000)
            shot = tmp_path / "labelstudio-labeling.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000  # a real rendered page, not an empty image
            if UPDATE_SCREENSHOT:
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(shot, SCREENSHOT)

            # submit the pre-annotation as an annotator would: what does the server store?
            page.get_by_role("button", name="Submit").click()
            for _ in range(60):
                anns = list(client.ls.annotations.list(id=task.id))
                if anns:
                    break
                page.wait_for_timeout(500)
        finally:
            browser.close()
    assert anns, "no annotation was stored after clicking Submit"
    stored = {r["value"]["labels"][0] for r in anns[0].result}
    assert stored and stored <= set(LABEL_CODES), stored
