"""The auditor page in a real headless Chromium (selenium + chromedriver), against a real uvicorn server.

Skipped, with the reason, when Chromium or chromedriver is not installed
(`apt-get install -y chromium chromium-driver` on Debian).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.auditor import highlight_spans
from api.keys import KeyStore
from rag.backends import Backends
from rag.settings import Settings
from tests.helpers import live_server
from tests.test_api import FEVER_EN, THROAT_V1, THROAT_V2

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOT = Path("/tmp/auditor.png")


def test_highlight_finds_verbatim_quote_and_falls_back_to_sentences() -> None:
    text = "Rest well.  Drink plenty of\nfluids daily. Avoid alcohol."
    assert [text[a:b] for a, b in highlight_spans(text, "drink plenty of fluids daily.")] == ["Drink plenty of\nfluids daily."]
    spans = highlight_spans(text, "You should avoid any alcohol")
    assert [text[a:b] for a, b in spans] == ["Avoid alcohol."]
    assert highlight_spans(text, "zzz") == []


@pytest.fixture(scope="module")
def page_server(tmp_path_factory, minilm) -> Iterator[tuple[str, str, str, str]]:
    """A server whose knowledge base held sore-throat 1.0 when a consultation was answered, and 2.0 now."""
    from ingest.run import ingest_paths

    root = tmp_path_factory.mktemp("auditor")
    docs = root / "docs"
    docs.mkdir()
    (docs / "fever-test.md").write_text(FEVER_EN, encoding="utf-8")
    (docs / "sore-throat-test.md").write_text(THROAT_V1, encoding="utf-8")
    settings = Settings(data_dir=root / "data")
    backends = Backends(settings, _embedder=minilm)
    assert ingest_paths([docs], settings, minilm, backends.store).ok
    keys = KeyStore(settings.data_dir / "keys.sqlite3")
    audit_key = keys.create("auditor", ["audit"])[1]
    consult_key = keys.create("frontend", ["consult"])[1]
    keys.close()
    with live_server(create_app(settings, backends)) as url:
        r = httpx.post(f"{url}/v1/consultations", headers={"X-API-Key": consult_key}, timeout=60,
                       json={"symptoms": "My sore throat hurts when I swallow <script>alert('x')</script> & I have a mild fever",
                             "age": 35})
        assert r.status_code == 200, r.text
        trace = r.json()["trace_id"]
        assert any(c["doc_id"] == "sore-throat-test" for c in r.json()["citations"])
        (docs / "sore-throat-test.md").write_text(THROAT_V2, encoding="utf-8")  # the content team publishes 2.0
        assert ingest_paths([docs / "sore-throat-test.md"], settings, minilm, backends.store).ok
        yield url, trace, audit_key, consult_key
    backends.close()


def test_page_over_http_is_escaped_and_needs_the_audit_role(page_server) -> None:
    url, trace, audit_key, consult_key = page_server
    assert httpx.get(f"{url}/audit/{trace}").status_code == 401
    assert httpx.get(f"{url}/audit/{trace}", headers={"X-API-Key": consult_key}).status_code == 403
    assert httpx.get(f"{url}/audit/{trace}?key={consult_key}").status_code == 403
    r = httpx.get(f"{url}/audit/{trace}", headers={"X-API-Key": audit_key})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<script>" not in r.text and "&lt;script&gt;" in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert "<mark>" in r.text and "superseded" in r.text
    # ?key= sets an HttpOnly cookie and redirects to the address without the key
    r = httpx.get(f"{url}/audit/{trace}?key={audit_key}")
    assert r.status_code == 303 and r.headers["location"] == f"/audit/{trace}"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict") and "Path=/audit" in cookie


@pytest.mark.integration
def test_page_in_headless_chromium(page_server) -> None:
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("Chromium not installed: apt-get install -y chromium chromium-driver (needs /usr/bin/chromium and /usr/bin/chromedriver)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="pip install selenium")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    url, trace, audit_key, _ = page_server
    profile = tempfile.mkdtemp(prefix="clinrag-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,2400"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    try:
        driver.set_page_load_timeout(60)
        driver.get(f"{url}/audit/{trace}?key={audit_key}")
        assert driver.current_url == f"{url}/audit/{trace}"  # redirected: the key left the address bar
        assert driver.title == f"Audit {trace}"
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "<script>alert('x')</script>" in body  # shown as text, never run
        assert driver.execute_script("return document.scripts.length") == 0
        marks = driver.find_elements(By.TAG_NAME, "mark")
        assert marks and all(m.text.strip() for m in marks)
        assert any(m.value_of_css_property("background-color") == "rgba(255, 224, 102, 1)" for m in marks)
        cites = driver.find_elements(By.CSS_SELECTOR, ".cite")
        heads = [c.find_element(By.CSS_SELECTOR, ".cite-head").text for c in cites]
        throat = [h for h in heads if "Sore throat (test)" in h]
        assert throat and all("version 1.0" in h and "superseded version" in h for h in throat), heads
        assert any("section" in h and "p.1" in h for h in heads)
        assert driver.find_elements(By.CSS_SELECTOR, ".cite.superseded")
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1280, min(max(int(height) + 40, 800), 6000))
        driver.save_screenshot(str(SCREENSHOT))
        assert SCREENSHOT.stat().st_size > 10_000
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
