"""End to end: start `fakescope serve`, open the page in headless Chromium, upload a file, read the verdict."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
import soundfile as sf

from fakescope.audio.synthetic import voice_like

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (scripts/setup.sh test installs it)")
def test_upload_in_a_real_browser(checkpoint, tmp_path):
    from playwright.sync_api import sync_playwright

    clip = tmp_path / "interview.wav"
    speech = voice_like(seconds=5.0, rng=np.random.default_rng(5)).samples[0]
    sf.write(clip, speech, 16000)
    paused = tmp_path / "with-a-pause.wav"  # two utterances around 20 s of room tone, which scanning leaves out
    room_tone = 1e-4 * np.random.default_rng(6).standard_normal(20 * 16000)
    sf.write(paused, np.concatenate([speech, room_tone, speech]).astype(np.float32), 16000)
    port = free_port()
    code = "import sys; from fakescope.cli import main; main(sys.argv[1:])"
    server = subprocess.Popen([sys.executable, "-c", code, "serve", "--port", str(port), "--checkpoint", str(checkpoint)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not start: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.set_input_files("#file", str(clip))
            verdict = page.locator("[data-testid=verdict]")
            verdict.wait_for(state="visible", timeout=90_000)
            assert verdict.inner_text().lower() in ("real", "fake", "uncertain")
            p_fake = float(page.locator("[data-testid=p-fake]").inner_text())
            assert 0.0 <= p_fake <= 1.0
            assert page.locator("#timeline circle").count() == 2  # two 4-s windows over 5 s
            peak = page.locator("[data-testid=peak]")  # several windows: the most suspect one is named
            assert peak.is_visible() and "0:0" in page.locator("#peak-span").inner_text()
            page.wait_for_function("document.getElementById('explanation').naturalWidth > 0", timeout=30_000)
            page.set_input_files("#file", str(paused))
            # Two windows per utterance, two lines, and the pause shaded (the fake and real bands are rects too).
            page.wait_for_function("document.querySelectorAll('#timeline circle').length === 4", timeout=90_000)
            assert page.locator("#timeline polyline").count() == 2 and page.locator("#timeline rect").count() == 3
            assert page.locator("[data-testid=peak]").is_visible()
            page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
            if os.environ.get("FAKESCOPE_KEEP_SCREENSHOT"):
                shutil.copy(tmp_path / "page.png", os.environ["FAKESCOPE_KEEP_SCREENSHOT"])
            short = tmp_path / "short.wav"  # one window: the verdict is that window, no "most suspect" line
            sf.write(short, speech[: 2 * 16000], 16000)
            page.set_input_files("#file", str(short))
            page.wait_for_function("document.querySelectorAll('#timeline circle').length === 1", timeout=90_000)
            assert not page.locator("[data-testid=peak]").is_visible()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
