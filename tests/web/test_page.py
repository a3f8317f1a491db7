"""The web page at `/` in a real browser: headless Debian chromium driven by Playwright, against a live
`paddle-swift serve` with the PP-OCR models, reading a photo of the generated waybill set (tools/waybill-synth).

Uploads the photo at desktop width and pastes it at phone width; each time waits for the fields, checks the waybill
number against the generator's ground truth and that the page drew one box per line of the JSON it shows, and takes
a screenshot into docs/ (docs/web-desktop.png, docs/web-phone.png; WEB_SCREENSHOTS=DIR writes them elsewhere).

Environment: PADDLE_SWIFT_BIN (default .build/debug/paddle-swift), PADDLE_SWIFT_HOME (default .paddle),
PADDLE_WAYBILL_SET (default .waybills), CHROMIUM (default /usr/bin/chromium). Without the generated set or the
browser the test is skipped, and fails when CI=true.
"""
import base64
import urllib.request
import json
import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from paddle_server import ROOT, PaddleServer  # noqa: E402

CI = os.environ.get("CI") == "true"
SET = os.environ.get("PADDLE_WAYBILL_SET") or os.path.join(ROOT, ".waybills")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = os.environ.get("WEB_SCREENSHOTS", os.path.join(ROOT, "docs"))
# Loading the models and one OCR run on a slow, busy CPU: polled, so a fast machine waits less.
PATIENCE_S = 300


def missing(reason):
    if CI:
        pytest.fail(reason)
    pytest.skip(reason)


def waybill(accept):
    """The first photo of the generated set whose ground truth `accept`s, and that truth."""
    manifest = os.path.join(SET, "manifest.json")
    if not os.path.isfile(manifest):
        missing(f"no generated waybill set at {SET}: run tools/waybill-synth/run.sh (scripts/test.sh does)")
    for entry in json.load(open(manifest))["images"]:
        truth = json.load(open(os.path.join(SET, os.path.splitext(entry["image"])[0] + ".json")))
        if accept(truth):
            return os.path.join(SET, entry["image"]), truth
    pytest.fail(f"no photo of {SET} fits")


@pytest.fixture(scope="module")
def server():
    home = os.environ.get("PADDLE_SWIFT_HOME", os.path.join(ROOT, ".paddle"))
    classifier = os.path.join(home, "models", "ppocrv4", "ch_ppocr_mobile_v2_cls_infer")
    work = tempfile.mkdtemp(prefix="paddle-web-")
    # One small KServe model beside the OCR routes (`serve` needs one); the page only uses POST /v1/waybill.
    running = PaddleServer(["--model", classifier, "--ocr"], os.path.join(work, "server.log"),
                           env={"PADDLE_SWIFT_HOME": home}, ready_timeout=PATIENCE_S)
    yield f"http://{running.url}/"
    assert running.stop() == 0, f"server did not exit cleanly; see {running.log_path}"
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"no chromium at {CHROMIUM}: scripts/setup-client-tests.sh installs Debian's")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        # As root Chromium refuses to start with its sandbox on.
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        yield browser
        browser.close()


def read_result(page, truth):
    """Waits for the page's answer and checks it: the number, one box drawn per line, one table row per line."""
    page.wait_for_selector("#result:not([hidden])", timeout=PATIENCE_S * 1000)
    status = page.text_content("#status")
    assert "Failed" not in status, status
    answer = json.loads(page.text_content("#json"))
    assert answer["waybill_number"] == truth["waybill_number"], answer["waybill_number"]
    assert page.text_content("#f-waybill_number .value") == truth["waybill_number"]
    assert page.text_content("#f-receiver\\.phone .value") == answer["receiver"]["phone"]
    assert len(answer["lines"]) > 5
    assert page.locator("#boxes polygon").count() == len(answer["lines"])
    assert page.locator("#boxes text").count() == len(answer["lines"])
    assert page.locator("#lines tbody tr").count() == len(answer["lines"])
    assert page.locator("#timings tbody tr").count() >= 5
    # The boxes are drawn in the photo's pixel space, over the image.
    natural = page.evaluate("[document.getElementById('photo').naturalWidth, document.getElementById('photo').naturalHeight]")
    assert page.get_attribute("#boxes", "viewBox") == f"0 0 {natural[0]} {natural[1]}"
    return answer


def test_page_reads_an_uploaded_and_a_pasted_waybill(server, browser):
    path, truth = waybill(lambda t: t["meta"]["turn"] == 0 and not t["meta"]["handwriting"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server)
    assert page.title() == "paddle-swift · waybill reader"
    # Keyboard: the file chooser is the first thing Tab reaches, and its label names it.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "file"
    assert "Choose a photo" in page.locator("#file").evaluate("e => e.labels[0].textContent")

    # Something that is not an image: a clear message, no result.
    page.set_input_files("#file", files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello"}])
    assert "not an image" in page.text_content("#status")
    assert page.is_hidden("#result")

    page.set_input_files("#file", path)
    read_result(page, truth)
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, "web-desktop.png"))

    # Phone width: one column, nothing wider than the screen; the photo pasted from the clipboard this time.
    page.set_viewport_size({"width": 375, "height": 812})
    page.evaluate("document.getElementById('result').hidden = true")
    data = base64.b64encode(open(path, "rb").read()).decode()
    page.evaluate("""data => {
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], "", { type: "image/jpeg" }));
        document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer }));
    }""", data)
    read_result(page, truth)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=os.path.join(SHOTS, "web-phone.png"), full_page=True)
    assert errors == []
    page.close()


def test_page_reports_a_server_error_and_the_server_keeps_serving(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server)
    # A file that claims to be a JPEG but is not one: the server's 400 message is shown.
    page.set_input_files("#file", files=[{"name": "bad.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8garbage"}])
    page.wait_for_function("document.getElementById('status').classList.contains('error')", timeout=PATIENCE_S * 1000)
    assert "cannot be decoded" in page.text_content("#status")
    page.close()
    with urllib.request.urlopen(server, timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert b"<script" in response.read()
