"""Headless Debian Chromium for the browser tests (Label Studio's labelling page, extract's HTML)."""
from __future__ import annotations

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
#: No network chatter of the browser's own: the tests watch which URLs a page requests.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]


def launch(playwright):
    """A headless Chromium browser; a clear failure when Debian's chromium is not installed."""
    assert Path(CHROMIUM).exists(), "Debian chromium is missing: run `make install-browser`"
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
