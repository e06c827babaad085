"""Reports checked in a real browser: headless Chromium renders a run report and a sweep report
at a desktop width (1280 px) and a phone width (390 px); nothing may overflow the page
sideways (a wide table must sit in its own scroll box) and every embedded image must load.

Needs Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``,
``/usr/bin/chromedriver``) and the ``selenium`` package (test extra). Skipped when the browser
is missing, except in CI (``CI=true``), where a missing browser is a failure.

``CORRIDORSIM_SCREENSHOT_DIR=docs/figures pytest tests/test_report_browser.py`` also saves a
screenshot of each report at each width (``report_<run|sweep>_<width>.png``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from corridorsim import load_scenario, simulate, write_run
from corridorsim.experiments.executors import InProcessExecutor
from corridorsim.experiments.summaries import summarize_sweep, write_summaries
from corridorsim.experiments.sweep_runner import SweepRunner
from corridorsim.experiments.sweep_spec import SweepSpec, resolve_sweep
from corridorsim.viz.report import write_report

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scenarios" / "smoke.yaml"
DATA = ROOT / "scenarios" / "data"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WIDTHS = (1280, 390)

pytestmark = pytest.mark.e2e  # whole runs, sweeps and reports
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars")

#: What the page looks like to a reader: its width against the viewport, every table and
#: figure that sticks out (unless inside a scroll box that itself fits), every broken image.
LAYOUT_JS = """
const vw = document.documentElement.clientWidth;
const out = {vw: vw, scrollWidth: document.documentElement.scrollWidth, overflow: [],
             broken: [], images: document.images.length, scrollBoxes: 0};
for (const el of document.querySelectorAll('table, figure, img, figcaption, p, ul, h1, h2')) {
  const r = el.getBoundingClientRect();
  if (r.right <= vw + 0.5 && r.left >= -0.5) continue;
  const box = el.closest('.scroll');
  if (box) {
    const b = box.getBoundingClientRect();
    const style = getComputedStyle(box).overflowX;
    if (b.right <= vw + 0.5 && b.left >= -0.5 && (style === 'auto' || style === 'scroll')) {
      out.scrollBoxes += 1;
      continue;
    }
  }
  out.overflow.push(el.tagName + ' ' + Math.round(r.left) + '-' + Math.round(r.right)
                    + ': ' + (el.textContent || el.alt || '').slice(0, 60));
}
for (const img of document.images) {
  if (!img.complete || img.naturalWidth === 0) out.broken.push(img.alt.slice(0, 60));
}
return out;
"""


def _driver():
    """A headless Chromium driven over the DevTools protocol; skip (or fail in CI) without it."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("the selenium package")
    if missing:
        message = f"headless Chromium unavailable (missing {', '.join(missing)})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + ": CI must install chromium and chromium-driver (see .ci/run)")
        pytest.skip(message)
    profile = tempfile.mkdtemp(prefix="corridorsim-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    return driver, profile


@pytest.fixture(scope="module")
def browser():
    driver, profile = _driver()
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """A run report (observations attached) and a sweep report, as written by the CLI."""
    tmp = tmp_path_factory.mktemp("browser")
    scenario_file = tmp / "smoke_observed.yaml"
    scenario_file.write_text(
        f"extends: {SMOKE}\nobservations:\n"
        f"  deliveries_csv: {DATA / 'deliveries_2025-09_2025-10.csv'}\n"
        f"  incidents_csv: {DATA / 'incidents_2025-09_2025-10.csv'}\n"
        "  source: shipped observation files of Sep-Oct 2025\n", encoding="utf-8")
    run_dir = write_run(simulate(load_scenario(scenario_file), replications=6, seed=3),
                        tmp / "run", manifest_extra={"scenario_file": str(scenario_file)})
    spec = SweepSpec(
        name="escorts-and-threat", base=str(SMOKE), replications=4, seed=2,
        factors=({"path": "escorts.bases[sikasso].units", "values": [2, 4, 6]},
                 {"path": "threats.ambush_multiplier", "values": [1, 2, 3]}),
        stockout_dates=("2025-09-08", "2025-09-15"),
        reference={"escorts.bases[sikasso].units": 6, "threats.ambush_multiplier": 1})
    sweep_dir = tmp / "sweep"
    SweepRunner(resolve_sweep(spec, "sweep.yaml"), sweep_dir, InProcessExecutor(),
                chunk_size=9).run()
    write_summaries(sweep_dir, summarize_sweep(sweep_dir))
    return {"run": write_report(run_dir, tmp / "run.html").html,
            "sweep": write_report(sweep_dir, tmp / "sweep.html").html}


def _render(browser, path: Path, width: int) -> dict:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
    browser.get(path.as_uri())
    browser.execute_script("return document.fonts ? document.fonts.ready : null;")
    return browser.execute_script(LAYOUT_JS)


def _screenshot(browser, target: Path, width: int, max_height: int) -> None:
    height = min(max_height, int(browser.execute_script(
        "return document.documentElement.scrollHeight;")))
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    import base64
    import io

    from PIL import Image  # installed with matplotlib

    # a 256-colour palette keeps a page-long screenshot small enough for the docs
    image = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", ["run", "sweep"])
def test_report_fits_the_screen_and_every_image_loads(browser, reports, kind, width):
    page = _render(browser, reports[kind], width)
    assert page["vw"] == width
    assert page["scrollWidth"] <= page["vw"], page
    assert page["overflow"] == [], page["overflow"]
    assert page["images"] >= 4 and page["broken"] == [], page
    if width >= 1280:  # on a desktop screen even the points table fits without scrolling
        assert page["scrollBoxes"] == 0, page
    shots = os.environ.get("CORRIDORSIM_SCREENSHOT_DIR")
    if shots:
        _screenshot(browser, Path(shots) / f"report_{kind}_{width}.png", width,
                    2200 if width > 600 else 3000)


def test_the_check_sees_a_table_that_overflows(browser, tmp_path):
    """The layout check itself: a wide table outside a scroll box is reported, the same table
    inside one is not, and a missing image is reported as broken."""
    row = "<tr>" + "".join(f"<td style='white-space:nowrap'>{i * 1234567.891:,.3f}</td>"
                           for i in range(12)) + "</tr>"
    bad = tmp_path / "bad.html"
    bad.write_text(f"<!DOCTYPE html><html><body><table>{row}</table>"
                   "<img src='missing.png' alt='missing'></body></html>", encoding="utf-8")
    page = _render(browser, bad, 390)
    assert page["scrollWidth"] > page["vw"] and page["overflow"] and page["broken"] == ["missing"]
    good = tmp_path / "good.html"
    good.write_text("<!DOCTYPE html><html><head><meta name='viewport' "
                    "content='width=device-width'></head><body><div class='scroll' "
                    f"style='overflow-x:auto'><table>{row}</table></div></body></html>",
                    encoding="utf-8")
    page = _render(browser, good, 390)
    assert page["scrollWidth"] <= page["vw"] and page["overflow"] == [] and page["scrollBoxes"] >= 1
