"""Local stand-ins for the providers, on 127.0.0.1 only: an SMTP server (aiosmtpd) and a JSON HTTP server that checks
the request shape docs/notifications.md documents and answers as the test scripts it."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for localhost and 127.0.0.1 (openssl CLI) and return (cert, key)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Received:
    """One message the SMTP server took."""

    mail_from: str
    recipients: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


@dataclass
class SmtpBehaviour:
    """How the server answers: per recipient address a reply to RCPT, a pause before answering DATA."""

    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: str = "250 2.0.0 Ok: queued as {n}"
    data_pause: float = 0.0


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.server.behaviour.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        behaviour = self.server.behaviour
        self.server.data_count += 1
        if behaviour.data_pause:
            await asyncio.sleep(behaviour.data_pause)
        if not behaviour.data_reply.startswith("250"):
            return behaviour.data_reply
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        login = getattr(session, "auth_data", None)
        self.server.received.append(
            Received(
                mail_from=str(envelope.mail_from),
                recipients=list(envelope.rcpt_tos),
                message=parsed,  # type: ignore[arg-type]
                tls=session.ssl is not None or smtp.transport.get_extra_info("ssl_object") is not None,
                login=login.login.decode() if isinstance(login, LoginPassword) else None,
            )
        )
        return behaviour.data_reply.format(n=f"Q{len(self.server.received)}")


class SmtpServer:
    """An aiosmtpd server on a thread: plain, STARTTLS, or TLS from the first byte, with optional sign-in."""

    def __init__(
        self,
        *,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        users: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        #: DATA commands seen, whatever became of them.
        self.data_count = 0
        self.behaviour = SmtpBehaviour()
        self.users = users or {}
        kwargs: dict[str, Any] = {}
        if users:
            kwargs |= {"authenticator": self._authenticate, "auth_required": True}
        if tls_context is not None and implicit_tls:
            kwargs["ssl_context"] = tls_context
        elif tls_context is not None:
            kwargs |= {"tls_context": tls_context, "require_starttls": True}
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, server_hostname="localhost", **kwargs
        )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword) and self.users.get(data.login.decode()) == data.password.decode():
            return AuthResult(success=True, auth_data=data)
        return AuthResult(success=False, handled=False)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.controller.stop()


def wait_for(condition: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
    """Wait until the condition holds (a worker process takes seconds to start on a loaded machine)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


@dataclass
class HttpRequest:
    """One request the JSON server received."""

    path: str
    headers: dict[str, str]
    body: Any


#: A reply: HTTP status and JSON body; or a function of the request returning one.
Reply = tuple[int, Any]


class JsonServer:
    """A JSON HTTP server on a thread that records every request and answers with the scripted replies in turn.

    With `dedupe_on`, a request whose value under that key was seen before gets the first answer again, and is not
    counted as a new message (what the SMS gateway's contract asks of the gateway).
    """

    def __init__(self, answer: Callable[[HttpRequest, int], Reply], *, dedupe_on: str | None = None) -> None:
        self.requests: list[HttpRequest] = []
        self.delivered: list[HttpRequest] = []
        self.pause = 0.0
        self._answer = answer
        self._dedupe_on = dedupe_on
        self._answers: dict[Any, Reply] = {}
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                request = HttpRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(raw))
                status, body = outer._reply(request)
                if outer.pause:
                    time.sleep(outer.pause)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting (the timeout tests)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/send"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _reply(self, request: HttpRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            key = request.body.get(self._dedupe_on) if self._dedupe_on and isinstance(request.body, dict) else None
            if key is not None and key in self._answers:
                return self._answers[key]
            reply = self._answer(request, len(self.requests))
            if 200 <= reply[0] < 300 and (not isinstance(reply[1], dict) or reply[1].get("error", 0) == 0):
                self.delivered.append(request)
                if key is not None:
                    self._answers[key] = reply
            return reply

    def __enter__(self) -> JsonServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def silent_server() -> Iterator[int]:
    """Listen on a port and never answer (a server that hangs: connecting works, the greeting never comes)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])
