"""Local receivers that really accept what revalign sends: an SMTP server (aiosmtpd) and
an HTTP server standing in for Slack's incoming webhook and for a JSON webhook; and the
``receivers`` fixture that points revalign's alert settings at them."""

from __future__ import annotations

import email
import json
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import free_port

from revalign import settings


def point_alerts_at(running: Receivers, monkeypatch) -> None:
    """revalign's alert settings (and the Airflow connections they make) aim at ``running``."""
    monkeypatch.setenv(
        "REVALIGN_ALERT_SMTP_URL",
        f"smtp://127.0.0.1:{running.smtp_port}?from=revalign@example.com&security=none",
    )
    monkeypatch.setenv("REVALIGN_ALERT_SLACK_WEBHOOK_URL", running.http_url + "/slack")
    monkeypatch.setenv("REVALIGN_ALERT_WEBHOOK_URL", running.http_url + "/hook")
    monkeypatch.setenv("REVALIGN_ALERT_DATA_TEAM", "data-team@example.com")
    monkeypatch.setenv("REVALIGN_CRM_RECORD_URL", "https://crm.example.com/{record_id}")
    for name, value in settings.alert_connections().items():
        monkeypatch.setenv(name, value)  # restored after the test


class Receivers:
    """A local SMTP server and HTTP endpoints for Slack's webhook and a JSON webhook."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.mails: list[email.message.EmailMessage] = []
        self.posts: dict[str, list] = {"/slack": [], "/hook": []}
        receivers = self

        class Mailbox:
            async def handle_DATA(self, server, session, envelope):
                message = email.message_from_bytes(envelope.content, policy=policy.default)
                message["X-Rcpt"] = ",".join(envelope.rcpt_tos)
                receivers.mails.append(message)
                return "250 OK"

        class Endpoint(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receivers.posts.setdefault(self.path, []).append(json.loads(body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.smtp = Controller(Mailbox(), hostname="127.0.0.1", port=free_port())
        self.smtp.start()
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def smtp_port(self) -> int:
        return self.smtp.server.sockets[0].getsockname()[1]

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    def clear(self) -> None:
        self.mails.clear()
        for posts in self.posts.values():
            posts.clear()

    def stop(self) -> None:
        self.smtp.stop()
        self.http.shutdown()
        self.http.server_close()
