"""Take the README's screenshots: the forum list and a thread page, light and dark,
at 1280 and 390 pixels wide, into this folder as small PNGs.

Usage: start the demo forum (``make run``), then
``.venv/bin/python docs/screenshots/take.py [--url http://127.0.0.1:8000]``.
The thread is the first one with replies on the first board of the forum list.
Chromium is /usr/bin/chromium when it exists (PLAYWRIGHT_CHROMIUM names another),
else Playwright's own.
"""

from __future__ import annotations

import argparse
import io
import os
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
WIDTHS = {1280: 800, 390: 844}
THEMES = ("light", "dark")


def save_small(png: bytes, target: Path) -> None:
    """A 256-colour PNG: a page of flat colours and text loses nothing visible."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        target, optimize=True
    )


def thread_path(page, base: str) -> str:
    page.goto(base + "/")
    page.locator(".board-row a.board-title, .board-row a").first.click()
    page.wait_for_load_state()
    rows = page.locator(".thread-row")
    for n in range(rows.count()):
        row = rows.nth(n)
        if "Replies: 0" not in row.inner_text():
            return row.locator("a.thread-title").get_attribute("href")
    return rows.first.locator("a.thread-title").get_attribute("href")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    base = parser.parse_args().url.rstrip("/")
    chromium = os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")
    launch = {"headless": True, "args": ["--no-sandbox", "--disable-gpu"]}
    if os.path.exists(chromium):
        launch["executable_path"] = chromium
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch)
        finder = browser.new_page()
        pages = {"forum-list": "/", "thread": thread_path(finder, base)}
        finder.close()
        for theme in THEMES:
            for width, height in WIDTHS.items():
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    color_scheme=theme,
                    reduced_motion="reduce",
                )
                page = context.new_page()
                for name, path in pages.items():
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    target = HERE / f"{name}-{theme}-{width}.png"
                    save_small(page.screenshot(), target)
                    print(f"{target.relative_to(HERE.parent.parent)}")
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
