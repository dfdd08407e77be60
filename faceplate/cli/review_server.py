"""``faceplate review serve``: the review page on 127.0.0.1, taking the reviewer's decisions.

Guarded: it listens on 127.0.0.1 only; every request must name this server as its host (so a
page elsewhere cannot reach it by rebinding a name to 127.0.0.1); a decision must come as JSON
with the session's token, which only the served page holds (another local page can neither read
it nor send JSON across origins without the server's consent, which it never gives); a decision
is checked exactly as ``faceplate review mark`` checks it and written by the same code. Only the
page, its images, ``qc.json``, ``review.otio`` and the contact sheet are served."""

from __future__ import annotations

import html
import json
import mimetypes
import re
import secrets
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import click

from faceplate.cli.review import Marked, frames_arg, mark, overrides_file, rerender_hint
from faceplate.errors import SpecError, StageError
from faceplate.pipeline.report.page import SESSION_PLACEHOLDER
from faceplate.spec import ShotSpec
from faceplate.spec.overrides import ACTIONS

HOST = "127.0.0.1"
MAX_BODY = 4096
_SERVED = ("index.html", "qc.json", "review.otio", "contact_sheet.png")
_CSP = ("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'none'")


class Refused(Exception):
    """A request the server turns down, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ReviewSession:
    """One serving of one shot's page: the token, who decides, and the shot."""

    def __init__(self, shot: ShotSpec, spec_arg: Path, by: str) -> None:
        self.shot, self.spec_arg, self.by = shot, spec_arg, by
        self.token = secrets.token_urlsafe(32)
        self.qc = shot.output.qc.resolve()
        self.lock = threading.Lock()
        self.port = 0

    def page(self) -> bytes:
        """The review page with this session filled in (shows the decision controls)."""
        body = (self.qc / "index.html").read_bytes()
        slot = SESSION_PLACEHOLDER.encode()
        if slot not in body:
            raise Refused(500, "the review page has no session slot: run `faceplate report`")
        session = html.escape(json.dumps({"token": self.token, "by": self.by}), quote=True)
        filled = f'<meta name="faceplate-session" content="{session}">'.encode()
        return body.replace(slot, filled, 1)

    def static(self, url_path: str) -> Path:
        """The file a GET names, if it is one the server offers."""
        # judged where the name leads (``review/../frames/1001.json`` is no image of the page)
        path = (self.qc / unquote(url_path).lstrip("/")).resolve()
        offered = path.is_relative_to(self.qc / "review") or (
            path.parent == self.qc and path.name in _SERVED)
        if not offered or not path.is_file() or path.name == "written.json":
            raise Refused(404, "not found")
        return path

    def check_host(self, host: str | None, origin: str | None) -> None:
        allowed = {f"{HOST}:{self.port}", f"localhost:{self.port}"}
        if host not in allowed:
            raise Refused(403, "wrong host")
        if origin is not None and origin not in {f"http://{a}" for a in allowed}:
            raise Refused(403, "wrong origin")

    def decision(self, headers: Any, raw: bytes) -> Marked:
        """Check a posted decision and write it (the same call ``review mark`` makes).

        Raises:
            Refused: not this session's, not JSON, or not a decision.
            SpecError: a decision the rules refuse.
        """
        if not secrets.compare_digest(headers.get("X-Faceplate-Token", ""), self.token):
            raise Refused(403, "not this review session")
        if not (headers.get("Content-Type") or "").startswith("application/json"):
            raise Refused(415, "expected application/json")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Refused(400, "not JSON") from None
        return self._mark(body)

    def _mark(self, body: Any) -> Marked:
        if not isinstance(body, dict) or set(body) - {"frames", "action", "hold", "set"}:
            raise Refused(400, "expected {frames, action, hold?, set?}")
        action, frames = body.get("action"), body.get("frames")
        if action not in ACTIONS:
            raise Refused(400, f"action: expected one of {', '.join(ACTIONS)}")
        if not isinstance(frames, str) or not 0 < len(frames) <= 100:
            raise Refused(400, "frames: expected a frame range such as 1012-1015")
        hold = None
        if action == "hold":
            # a JSON number or string of digits (true, 1002.0 and null print otherwise)
            digits = str(body.get("hold")).strip()
            if not re.fullmatch(r"-?[0-9]+", digits):
                raise Refused(400, "hold: expected a frame number")
            hold = int(digits)
        assignments: tuple[str, ...] = ()
        if action == "set":
            text = body.get("set")
            if not isinstance(text, str) or not 0 < len(text) <= 200:
                raise Refused(400, "set: expected key=value [key=value ...]")
            assignments = tuple(text.replace(",", " ").split())
        with self.lock:
            return mark(self.shot, frames_arg(frames), action, hold=hold,
                        assignments=assignments, by=self.by, via="review serve",
                        set_key="set")


def _handler(session: ReviewSession) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "faceplate-review"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            return  # decisions are printed; requests are not

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("X-Frame-Options", "DENY")
            self.send_header("Content-Security-Policy", _CSP)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, body: dict[str, Any]) -> None:
            self._send(status, json.dumps(body).encode(), "application/json")

        def do_GET(self) -> None:
            try:
                session.check_host(self.headers.get("Host"), None)
                path = urlsplit(self.path).path
                if path in ("/", "/index.html"):
                    self._send(200, session.page(), "text/html; charset=utf-8")
                    return
                file = session.static(path)
                kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                self._send(200, file.read_bytes(), kind)
            except Refused as exc:
                self._json(exc.status, {"error": str(exc)})

        def do_POST(self) -> None:
            try:
                session.check_host(self.headers.get("Host"), self.headers.get("Origin"))
                if urlsplit(self.path).path != "/api/mark":
                    raise Refused(404, "not found")
                length = self.headers.get("Content-Length", "")
                if not length.isdigit() or int(length) > MAX_BODY:
                    raise Refused(413, f"expected a body of at most {MAX_BODY} bytes")
                marked = session.decision(self.headers, self.rfile.read(int(length)))
            except Refused as exc:
                self._json(exc.status, {"error": str(exc)})
                return
            except SpecError as exc:
                self._json(400, {"error": str(exc)})
                return
            line = marked.line()
            click.echo(line)
            hint = rerender_hint(session.spec_arg, [marked])
            o = marked.override
            self._json(200, {"line": line, "hint": hint, "decision": {
                "covers": list(o.frames), "action": o.action, "what": o.what(),
                "who_when": o.who_when(),
                "state": "pending re-render" if o.changes_render else "recorded"}})

    return Handler


def serve(shot: ShotSpec, spec_arg: Path, *, port: int = 0, by: str) -> None:
    """Serve the shot's review page on 127.0.0.1 until interrupted.

    Raises:
        StageError: the shot has no review page yet.
    """
    session = ReviewSession(shot, spec_arg, by)
    index = session.qc / "index.html"
    if not index.is_file():
        raise StageError("no review page yet: run `faceplate report` (or `faceplate run`) "
                         "first", path=index)
    try:
        server = ThreadingHTTPServer((HOST, port), _handler(session))
    except OSError as exc:
        raise SpecError(f"cannot listen on {HOST}:{port}: {exc.strerror}", key="--port") from None
    server.daemon_threads = True
    session.port = server.server_address[1]
    click.echo(f"review page: http://{HOST}:{session.port}/")
    click.echo(f"decisions by {by} go to {overrides_file(shot)}; Ctrl-C stops the server")
    sys.stdout.flush()
    # Ctrl-C, or a TERM from whoever started it (a shell's `&` ignores INT), stops it cleanly
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.server_close()
        for number, handler in previous.items():
            signal.signal(number, handler)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
