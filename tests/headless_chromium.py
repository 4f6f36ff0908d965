"""Open a page in headless Chromium and see what a reader sees, through the DevTools protocol.

:func:`open_page` loads a URL with the network off (Chromium's own offline emulation:
any request to a host fails), and returns every request the page made that was not
a ``file:`` or ``data:`` one, every console error and uncaught exception, and the
value of a JavaScript expression evaluated once the page has loaded.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

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


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "chromium is not installed: scripts/ensure_test_tools.sh installs it"
    return path


@dataclass
class Page:
    requests: list[str] = field(default_factory=list)  # every non-file, non-data URL asked
    errors: list[str] = field(default_factory=list)  # console errors, exceptions, failed loads
    value: object = None  # what the expression evaluated to


def open_page(url: str, expression: str, profile: Path, settle: float = 1.0) -> Page:
    """Load ``url`` offline, wait for its load event and ``settle`` seconds, evaluate
    ``expression`` (its value must be JSON)."""
    from websockets.sync.client import connect

    process = subprocess.Popen(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        port = _devtools_port(process)
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list").read())
        page_target = next(t for t in targets if t["type"] == "page")
        with connect(page_target["webSocketDebuggerUrl"], max_size=None) as socket:
            session = _Session(socket)
            for domain in ("Page", "Runtime", "Network", "Log"):
                session.call(f"{domain}.enable")
            session.call(
                "Network.emulateNetworkConditions",
                offline=True, latency=0, downloadThroughput=-1, uploadThroughput=-1,
            )  # fmt: skip
            session.call("Page.navigate", url=url)
            session.wait_for("Page.loadEventFired", timeout=60)
            session.drain(settle)
            answer = session.call(
                "Runtime.evaluate", expression=f"JSON.stringify({expression})", returnByValue=True
            )
            session.drain(0.2)
            page = session.page
            result = answer["result"]
            if "exceptionDetails" in answer:
                page.errors.append(f"evaluating the expression: {answer['exceptionDetails']}")
            else:
                page.value = json.loads(result["value"])
            return page
    finally:
        process.kill()
        process.wait(timeout=30)


def _devtools_port(process: subprocess.Popen) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if found := re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line):
            return int(found.group(1))
        if not line and process.poll() is not None:
            break
    raise AssertionError("chromium did not open its DevTools port")


class _Session:
    def __init__(self, socket):
        self.socket = socket
        self.next_id = 0
        self.page = Page()
        self.seen: list[str] = []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        asked = self.next_id
        self.socket.send(json.dumps({"id": asked, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == asked:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def wait_for(self, method: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while method not in self.seen:
            message = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            self._event(message)

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self._event(json.loads(self.socket.recv(timeout=left)))
            except TimeoutError:
                return

    def _event(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if not method:
            return
        self.seen.append(method)
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file:", "data:", "about:")):
                self.page.requests.append(url)
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            self.page.errors.append(
                "console: "
                + " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
            )
        elif method == "Runtime.exceptionThrown":
            self.page.errors.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.page.errors.append(
                f"log: {params['entry'].get('text')} {params['entry'].get('url', '')}"
            )
        elif method == "Network.loadingFailed":
            self.page.errors.append(f"failed to load: {params.get('errorText')}")
