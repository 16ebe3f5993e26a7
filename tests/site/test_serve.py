"""``liudong serve --demo`` end to end: a subprocess on a free port with its own data dir."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import IO

import pytest

START_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def lines_of(stream: IO[str]) -> queue.Queue[str]:
    found: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            found.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return found


def wait_for(lines: queue.Queue[str], pattern: str, seen: list[str]) -> re.Match[str]:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        seen.append(line)
        if match := re.search(pattern, line):
            return match
    raise AssertionError("no line matched " + pattern + " in:\n" + "".join(seen))


def get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  # our local server
        return response.status, response.headers["Content-Type"], response.read().decode()


def demo_environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIUDONG_", "DJANGO_"))}
    env.pop("PYTEST_VERSION", None)
    env.pop("DATABASE_URL", None)  # its own SQLite file: never seed the shared database
    env.update(LIUDONG_MODE="demo", LIUDONG_DATA_DIR=str(data_dir), COLUMNS="200")
    return env


def test_serve_demo_serves_the_portal_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    command = [str(Path(sys.executable).with_name("liudong")), "serve", "--demo"]
    server = subprocess.Popen(  # noqa: S603  # our own command
        [*command, "--port", str(port), "--workers", "1"],
        env=demo_environment(tmp_path / "data"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen: list[str] = []
    try:
        assert server.stdout is not None
        lines = lines_of(server.stdout)
        url = wait_for(lines, r"serving at (http://127\.0\.0\.1:\d+/)", seen).group(1)
        assert url == f"http://127.0.0.1:{port}/"
        wait_for(lines, r"bj-staff: otpauth://totp/liudong%3Abj-staff\?secret=[A-Z2-7]+", seen)
        assert "liudong demo totp USERNAME" in "".join(seen)

        status, kind, page = get(url)
        assert status == 200
        assert kind.startswith("text/html")
        assert '<html lang="zh-hans">' in page
        assert "劳动力和人才社会性流动" in page
        stylesheet = re.search(r'href="(/static/liudong/site\.[0-9a-f]{12}\.css)"', page)
        assert stylesheet is not None, "whitenoise's manifest names the CSS by its hash"
        status, kind, css = get(url.rstrip("/") + stylesheet.group(1))
        assert (status, kind.split(";")[0]) == (200, "text/css")
        assert ":root" in css

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        assert (tmp_path / "data" / "liudong.sqlite3").exists()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        if server.stdout is not None:
            server.stdout.close()


@pytest.mark.django_db
def test_an_empty_installation_says_how_to_create_the_first_administrator(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from liudong.site import serve

    serve._announce("http://127.0.0.1:8000/", None)
    printed = capsys.readouterr().out
    assert "serving at http://127.0.0.1:8000/" in printed
    assert "No accounts yet" in printed
    assert "liudong manage createadmin USERNAME" in printed
