"""Screenshots of a shot's review page in headless Chromium (Debian's, through Playwright),
at the widths the docs show: ``python tools/review_screenshots.py <qc>/index.html OUT_DIR
[--frame N] [--widths 1600,800] [--height 1000] [--full]``.

Chromium runs headless with a fresh profile and without its background connections (the
build machines have no network)."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def chromium() -> str | None:
    """Debian's Chromium, if installed."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("page", help="index.html or an http://127.0.0.1 URL")
    parser.add_argument("out", type=Path)
    parser.add_argument("--frame", type=int, default=None, help="open this frame")
    parser.add_argument("--widths", default="1600,800")
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--full", action="store_true", help="the whole page, not the viewport")
    parser.add_argument("--zoom", action="store_true", help="crops at 2:1")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    url = args.page if "://" in args.page else Path(args.page).absolute().as_uri()
    if args.frame is not None:
        url += f"#f{args.frame}"
    args.out.mkdir(parents=True, exist_ok=True)
    exe = chromium()
    if exe is None:
        raise SystemExit("no Chromium (Debian package chromium) on this machine")
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        for width in (int(w) for w in args.widths.split(",")):
            context = p.chromium.launch_persistent_context(
                profile, executable_path=exe, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": width, "height": args.height})
            page = context.new_page()
            page.goto(url)
            page.wait_for_load_state("networkidle")
            if args.zoom:
                page.keyboard.press("z")
            page.evaluate("Promise.all(Array.from(document.images)"
                          ".filter(i => i.offsetParent !== null && !i.complete)"
                          ".map(i => new Promise(r => { i.onload = i.onerror = r; })))")
            path = args.out / f"review_{width}.png"
            page.screenshot(path=str(path), full_page=args.full)
            context.close()
            print(path)


if __name__ == "__main__":
    main()
