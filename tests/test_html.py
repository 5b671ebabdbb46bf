"""`--format html`: a self-contained page, checked by rendering it in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .helpers import EXAMPLES, cli

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _Assets(HTMLParser):
    """Every resource the page would load (not plain links)."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "video", "audio") and a.get("src"):
            self.loads.append(str(a["src"]))
        if tag == "link" and a.get("href"):
            self.loads.append(str(a["href"]))


def _page(tmp_path: Path, *args: str) -> Path:
    r = cli(*args)
    assert r.out.startswith("<!DOCTYPE html>"), r.err
    path = tmp_path / "report.html"
    path.write_text(r.out, encoding="utf-8")
    return path


def test_self_contained_with_timeline_chart_and_citations(tmp_path: Path) -> None:
    page = _page(tmp_path, "check", EXAMPLES / "linkedin-2024-as-happened.yaml", "--today", "2024-09-20",
                 "--format", "html").read_text(encoding="utf-8")  # fmt: skip
    assets = _Assets()
    assets.feed(page)
    assert assets.loads == []
    assert "url(" not in page and "@import" not in page
    assert page.count("class='step'") == 5  # the plan's steps on the timeline
    assert "data-code='US'" in page  # users.counts → the chart
    assert "Cal. Code Regs. tit. 11, § 7002" in page and "https://" in page


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / "profile"
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_renders_in_headless_chromium(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    from tools.synthetic_users import generate

    table = generate(tmp_path / "users.parquet", 3_000, seed=5)
    path = _page(tmp_path, "users", EXAMPLES / "childrens-learning-app.yaml", "--users", str(table),
                 "--map", "subdivision=state", "--today", "2026-05-01", "--format", "html")  # fmt: skip
    dom = _chromium(tmp_path, "--dump-dom", path.as_uri())
    assert dom.returncode == 0, dom.stderr
    assert 'data-rendered="true"' in dom.stdout  # the inline script ran after layout
    drawn = int(re.search(r'data-bars-drawn="(\d+)"', dom.stdout).group(1))  # type: ignore[union-attr]
    assert drawn >= 10  # bars of the chart and steps of the timeline, with a size on screen
    assert "Obtain verifiable parental consent" in dom.stdout
    shot = tmp_path / "report.png"
    r = _chromium(tmp_path, "--window-size=1150,1400", f"--screenshot={shot}", path.as_uri())
    assert r.returncode == 0, r.stderr
    assert shot.stat().st_size > 20_000  # a page, not a blank
