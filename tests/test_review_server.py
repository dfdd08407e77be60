"""``faceplate review serve`` in process (faceplate/cli/review_server.py): the page with the
session filled in, the files served and refused, the Host and Origin checks, a posted decision
checked field by field and written as ``review mark`` writes it, the server stopped by a signal.

A shot whose inputs exist and a hand-made ``qc`` folder (no shot is rendered); the server runs
in a thread of the test's process and is asked over real HTTP. Expected values are written out
by hand from the module's documented rules and the README's lines."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from conftest import OBAMA, spec_dict, write_spec

from faceplate.cli.review_server import Refused, ReviewSession, _handler, serve
from faceplate.errors import SpecError, StageError
from faceplate.spec import check_inputs, load_spec

SLOT = '<meta name="faceplate-session" content="">'  # the slot `faceplate report` leaves
PAGE = f"<html><head>{SLOT}</head><body>page</body></html>"
CSP = ("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
       "script-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'none'")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(40))


def _shot_folder(folder: Path, page: str = PAGE) -> Path:
    (folder / "refs").mkdir(parents=True)
    shutil.copyfile(OBAMA, folder / "refs" / "actor_a.jpg")
    spec = write_spec(folder, spec_dict())
    qc = folder / "out" / "qc"
    (qc / "review").mkdir(parents=True)
    (qc / "frames").mkdir()
    (qc / "index.html").write_text(page)
    (qc / "qc.json").write_text('{"shot": "tst010"}')
    (qc / "review.otio").write_text('{"OTIO_SCHEMA": "Timeline.1"}')
    (qc / "contact_sheet.png").write_bytes(PNG)
    (qc / "review" / "1001.png").write_bytes(PNG[::-1])
    (qc / "review" / "a b.png").write_bytes(b"spaced")
    (qc / "review" / "zoom.png").write_bytes(b"sorts after written.json")
    (qc / "review" / "written.json").write_text("{}")
    (qc / "frames" / "1001.json").write_text("{}")
    (qc / "frames" / "qc.json").write_text("{}")  # a name the server offers, in another folder
    (folder / "out" / "qd").mkdir()  # a folder whose path sorts after the qc folder's
    (folder / "out" / "qd" / "qc.json").write_text("{}")
    (qc / "notes.txt").write_text("not offered")
    return spec


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    return _shot_folder(tmp_path / "shot")


@pytest.fixture
def session(spec: Path) -> ReviewSession:
    return ReviewSession(check_inputs(load_spec(spec)), spec, "ann")


class Running:
    """The session's server in a thread of this process."""

    def __init__(self, session: ReviewSession) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(session))
        self.server.daemon_threads = True
        self.port = session.port = self.server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self.token = session.token
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,))
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def ask(self, method: str, path: str, headers: dict[str, str], body: bytes = b"",
            ) -> tuple[int, dict[str, str], bytes]:
        """Exactly these headers (none added: no Host unless given)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders(body or None)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def get(self, path: str, host: str | None = None) -> tuple[int, dict[str, str], bytes]:
        return self.ask("GET", path, {"Host": host or self.host})

    def post(self, body: object, **changed: str | None) -> tuple[int, dict]:
        """``body`` posted with the page's headers, ``changed`` replacing them (``A_B`` for
        ``A-B``; None leaves one out; ``path`` for another path than /api/mark)."""
        path = changed.pop("path", None) or "/api/mark"
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Host": self.host, "Content-Type": "application/json",
                   "X-Faceplate-Token": self.token, "Content-Length": str(len(data)),
                   **{k.replace("_", "-"): v for k, v in changed.items()}}
        status, _, answer = self.ask("POST", path,
                                     {k: v for k, v in headers.items() if v is not None}, data)
        return status, json.loads(answer)


@pytest.fixture
def running(session: ReviewSession) -> Iterator[Running]:
    server = Running(session)
    yield server
    server.close()


def _meta(session: ReviewSession, by: str) -> str:
    # html.escape(json.dumps(...), quote=True), written out: " is &quot;
    return ('<meta name="faceplate-session" content="{&quot;token&quot;: &quot;'
            f'{session.token}&quot;, &quot;by&quot;: &quot;{by}&quot;}}">')


# --- the page and the files ------------------------------------------------------------------

def test_the_page_gets_this_sessions_token_and_reviewer(session) -> None:
    assert len(session.token) == 43  # 32 random bytes, URL-safe base64 without padding
    assert set(session.token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789-_")
    assert session.page() == PAGE.replace(SLOT, _meta(session, "ann")).encode()
    other = ReviewSession(session.shot, session.spec_arg, 'o"<b>&\'c')
    assert other.token != session.token
    assert other.page() == PAGE.replace(SLOT, (
        '<meta name="faceplate-session" content="{&quot;token&quot;: &quot;'
        f'{other.token}&quot;, &quot;by&quot;: &quot;o\\&quot;&lt;b&gt;&amp;&#x27;c&quot;}}">'
    )).encode()


def test_a_page_without_the_session_slot_is_refused(tmp_path) -> None:
    spec = _shot_folder(tmp_path, page="<html>an old page</html>")
    session = ReviewSession(check_inputs(load_spec(spec)), spec, "ann")
    with pytest.raises(Refused, match=r"^the review page has no session slot: run "
                                      r"`faceplate report`$") as refused:
        session.page()
    assert refused.value.status == 500


def test_get_serves_the_page_and_its_files_with_their_types_and_guards(running, session) -> None:
    qc = session.qc
    for path in ("/", "/index.html", "/?frame=1004", "/index.html#1004"):
        status, headers, body = running.get(path)
        assert (status, body) == (200, PAGE.replace(SLOT, _meta(session, "ann")).encode())
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert headers["Content-Length"] == str(len(body))
        assert headers["Cache-Control"] == "no-store"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Content-Security-Policy"] == CSP
    served = {"/qc.json": ("application/json", qc / "qc.json"),
              "/qc.json?v=2": ("application/json", qc / "qc.json"),
              "/review.otio": ("application/octet-stream", qc / "review.otio"),
              "/contact_sheet.png": ("image/png", qc / "contact_sheet.png"),
              "/review/1001.png": ("image/png", qc / "review" / "1001.png"),
              "/review/a%20b.png": ("image/png", qc / "review" / "a b.png"),
              "/review/zoom.png": ("image/png", qc / "review" / "zoom.png")}
    for path, (kind, file) in served.items():
        status, headers, body = running.get(path)
        assert (status, headers["Content-Type"], body) == (200, kind, file.read_bytes()), path
        assert headers["Content-Length"] == str(file.stat().st_size)
        assert headers["Content-Security-Policy"] == CSP
        assert headers["X-Frame-Options"] == "DENY"


def test_get_refuses_every_other_file(running, session) -> None:
    (session.qc / "contact_sheet.png").unlink()
    for path in ("/review/written.json", "/frames/1001.json", "/notes.txt", "/../../shot.yaml",
                 "/review/../../../shot.yaml", "/review/", "/review",
                 "/review/missing.png", "/contact_sheet.png", "/qc.json/x", "/%2Fetc/passwd",
                 # under review/ by name only: every other file of the qc folder was served
                 "/review/../frames/1001.json", "/review/%2e%2e/notes.txt",
                 "/review/../review/../written.json", "/frames/qc.json", "/../qd/qc.json"):
        status, headers, body = running.get(path)
        assert (status, json.loads(body)) == (404, {"error": "not found"}), path
        assert headers["Content-Type"] == "application/json"
        assert headers["Content-Security-Policy"] == CSP


def test_only_this_servers_own_host_and_origin_are_answered(running) -> None:
    assert running.get("/", host=f"localhost:{running.port}")[0] == 200
    for host in (f"127.0.0.1:{running.port + 1}", "127.0.0.1", "localhost", "evil.example",
                 f"evil.example:{running.port}", f"127.0.0.2:{running.port}"):
        status, _, body = running.get("/", host=host)
        assert (status, json.loads(body)) == (403, {"error": "wrong host"}), host
    status, _, body = running.ask("GET", "/qc.json", {})  # no Host at all
    assert (status, json.loads(body)) == (403, {"error": "wrong host"})
    assert running.post({"frames": "1004", "action": "approve"},
                        Origin=f"http://127.0.0.1:{running.port}")[0] == 200
    assert running.post({"frames": "1005", "action": "approve"},
                        Origin=f"http://localhost:{running.port}")[0] == 200
    assert running.post({"frames": "1006", "action": "approve"},
                        Host=f"localhost:{running.port}")[0] == 200
    for origin in (f"https://127.0.0.1:{running.port}", f"http://127.0.0.1:{running.port + 1}",
                   "http://evil.example", "null", f"127.0.0.1:{running.port}"):
        assert running.post({"frames": "1007", "action": "approve"}, Origin=origin) == (
            403, {"error": "wrong origin"}), origin
    assert running.post({"frames": "1007", "action": "approve"}, Host="evil.example") == (
        403, {"error": "wrong host"})


# --- decisions -------------------------------------------------------------------------------

def _written(spec: Path) -> list[dict]:
    return yaml.safe_load((spec.parent / "overrides.yaml").read_text())["overrides"]


def test_a_decision_is_answered_printed_and_written_as_review_mark_writes_it(
        running, spec, capsys) -> None:
    status, answer = running.post({"frames": "1003-1004", "action": "skip"})
    assert status == 200, answer
    (entry,) = _written(spec)
    at = entry["at"]
    shown = at.replace("T", " ").replace("Z", " UTC")
    assert entry == {"frames": "1003-1004", "skip": True, "by": "ann", "at": at,
                     "via": "review serve"}
    overrides = spec.parent / "overrides.yaml"
    line = (f"frames 1003-1004: skip (pass through unswapped), by ann at {shown} via review "
            f"serve → {overrides}")
    assert answer == {"line": line,
                      "hint": f"re-render with: faceplate run {spec} --only overridden",
                      "decision": {"covers": [1003, 1004], "action": "skip",
                                   "what": "skip (pass through unswapped)",
                                   "who_when": f"by ann at {shown} via review serve",
                                   "state": "pending re-render"}}
    assert capsys.readouterr().out == line + "\n"
    status, answer = running.post({"frames": "1005", "action": "approve"},
                                  Content_Type="application/json; charset=utf-8",
                                  path="/api/mark?from=page")
    assert status == 200, answer
    assert answer["hint"] is None
    assert answer["decision"]["state"] == "recorded"
    assert answer["decision"]["what"] == "approve as rendered"
    assert [e["frames"] for e in _written(spec)] == ["1003-1004", "1005"]


def test_hold_and_set_take_their_values_as_the_page_sends_them(running, spec) -> None:
    for hold in ("1002", " 1002 ", 1002):
        status, answer = running.post({"frames": "1004", "action": "hold", "hold": hold})
        assert status == 200, (hold, answer)
        assert answer["decision"]["what"] == "hold frame 1002's alignment"
    status, answer = running.post({"frames": "1004", "action": "hold", "hold": "-5"})
    assert (status, answer) == (400, {"error": "decision.hold: expected a frame of the plate, "
                                               "got -5"})
    status, answer = running.post({"frames": "1005-1006", "action": "set",
                                   "set": "feather=0.25,erode=0.1 identity_amount=0.5"})
    assert status == 200, answer
    assert answer["decision"]["what"] == "set erode=0.1, feather=0.25, identity_amount=0.5"
    assert answer["decision"]["covers"] == [1005, 1006]
    assert [(e["frames"], e.get("hold"), e.get("set")) for e in _written(spec)] == [
        ("1004", 1002, None)] * 3 + [
        ("1005-1006", None, {"feather": 0.25, "erode": 0.1, "identity_amount": 0.5})]


def test_the_body_is_held_to_its_size_to_the_byte(running, spec) -> None:
    skip = json.dumps({"frames": "1004", "action": "skip"}).encode()
    exact = skip + b" " * (4096 - len(skip))  # JSON may end in spaces
    assert running.post(exact)[0] == 200
    too_big = {"error": "expected a body of at most 4096 bytes"}
    assert running.post(exact + b" ") == (413, too_big)
    assert running.post(skip, Content_Length=None) == (413, too_big)
    assert running.post(b"", Content_Length="-1") == (413, too_big)
    assert running.post(b"", Content_Length="4097") == (413, too_big)
    assert len(_written(spec)) == 1


def test_a_post_elsewhere_or_without_the_session_is_refused(running, spec) -> None:
    skip = {"frames": "1004", "action": "skip"}
    assert running.post(skip, path="/api/other") == (404, {"error": "not found"})
    assert running.post(skip, path="/") == (404, {"error": "not found"})
    session = {"error": "not this review session"}
    assert running.post(skip, X_Faceplate_Token=None) == (403, session)
    assert running.post(skip, X_Faceplate_Token="") == (403, session)
    assert running.post(skip, X_Faceplate_Token=running.token[:-1]) == (403, session)
    assert running.post(skip, X_Faceplate_Token=running.token + "x") == (403, session)
    media = {"error": "expected application/json"}
    assert running.post(skip, Content_Type=None) == (415, media)
    assert running.post(skip, Content_Type="text/plain") == (415, media)
    assert running.post(skip, Content_Type="text/application/json") == (415, media)
    assert running.post(b"\xff\xfe{}") == (400, {"error": "not JSON"})
    assert running.post(b"{not json") == (400, {"error": "not JSON"})
    assert not (spec.parent / "overrides.yaml").exists()


FIELDS = "expected {frames, action, hold?, set?}"


@pytest.mark.parametrize(("body", "error"), [
    (["1004", "skip"], FIELDS),
    ({"frames": "1004", "action": "skip", "by": "mallory"}, FIELDS),
    ({"frames": "1004"}, "action: expected one of skip, hold, set, approve"),
    ({"frames": "1004", "action": "delete"}, "action: expected one of skip, hold, set, approve"),
    ({"action": "skip"}, "frames: expected a frame range such as 1012-1015"),
    ({"frames": 1004, "action": "skip"}, "frames: expected a frame range such as 1012-1015"),
    ({"frames": "", "action": "skip"}, "frames: expected a frame range such as 1012-1015"),
    ({"frames": "x" * 101, "action": "skip"}, "frames: expected a frame range such as 1012-1015"),
    # 100 characters pass the size check and are read as frames: a frame range's own error
    ({"frames": "x" * 100, "action": "skip"},
     f"frames: not a frame range: '{'x' * 17}...{'x' * 18}' (expected e.g. 1001-1048, "
     "1001-1100x2 or 1001,1003-1005)"),
    ({"frames": "900", "action": "skip"},
     "decision.frames: frames 900 are outside the plate range"),
    # one character is not too short: it is read as frames, or as an assignment
    ({"frames": "9", "action": "skip"}, "decision.frames: frames 9 are outside the plate range"),
    ({"frames": "1004", "action": "set", "set": "x"}, "set: expected key=value, got 'x'"),
    ({"frames": "1004", "action": "hold"}, "hold: expected a frame number"),
    ({"frames": "1004", "action": "hold", "hold": None}, "hold: expected a frame number"),
    ({"frames": "1004", "action": "hold", "hold": True}, "hold: expected a frame number"),
    ({"frames": "1004", "action": "hold", "hold": 1002.0}, "hold: expected a frame number"),
    ({"frames": "1004", "action": "hold", "hold": ["1002"]}, "hold: expected a frame number"),
    ({"frames": "1004", "action": "hold", "hold": "soon"}, "hold: expected a frame number"),
    ({"frames": "1004", "action": "hold", "hold": ""}, "hold: expected a frame number"),
    ({"frames": "1004", "action": "hold", "hold": "10 02"}, "hold: expected a frame number"),
    # digits int() cannot read: the request failed with no answer (a traceback on the server)
    ({"frames": "1004", "action": "hold", "hold": "--5"}, "hold: expected a frame number"),
    ({"frames": "1004", "action": "hold", "hold": "\u00b2"}, "hold: expected a frame number"),
    ({"frames": "1004", "action": "hold", "hold": "1_002"}, "hold: expected a frame number"),
    ({"frames": "1004", "action": "set"}, "set: expected key=value [key=value ...]"),
    ({"frames": "1004", "action": "set", "set": ["feather=0.2"]},
     "set: expected key=value [key=value ...]"),
    ({"frames": "1004", "action": "set", "set": ""}, "set: expected key=value [key=value ...]"),
    ({"frames": "1004", "action": "set", "set": "feather=0.2 " + " " * 189},
     "set: expected key=value [key=value ...]"),
    ({"frames": "1004", "action": "set", "set": "feather=9"},
     "set.feather: 9 is outside 0..1"),
])
def test_what_is_not_a_decision_is_refused_with_its_reason(running, spec, body, error) -> None:
    assert running.post(body) == (400, {"error": error})
    assert not (spec.parent / "overrides.yaml").exists()


def test_set_takes_up_to_200_characters(running, spec) -> None:
    text = "feather=0.2" + " " * 189
    assert len(text) == 200
    assert running.post({"frames": "1004", "action": "set", "set": text})[0] == 200
    assert _written(spec)[0]["set"] == {"feather": 0.2}


# --- serving ---------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_needs_the_page_and_a_free_port(tmp_path, spec) -> None:
    shot = check_inputs(load_spec(spec))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SpecError) as busy:
            serve(shot, spec, port=port, by="ann")
    assert str(busy.value) == f"--port: cannot listen on 127.0.0.1:{port}: Address already in use"
    (spec.parent / "out" / "qc" / "index.html").unlink()
    with pytest.raises(StageError) as early:
        serve(shot, spec, port=0, by="ann")
    assert str(early.value) == ("no review page yet: run `faceplate report` (or `faceplate "
                                f"run`) first ({spec.parent / 'out' / 'qc' / 'index.html'})")


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_until_a_signal_then_puts_the_handlers_back(spec, capsys, how) -> None:
    shot = check_inputs(load_spec(spec))
    port = _free_port()
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    answers: list[int] = []

    def reviewer() -> None:
        # the server listens before it prints; ask until it answers, then stop it
        for _ in range(2000):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/qc.json")
                answers.append(conn.getresponse().status)
                conn.close()
                break
            except ConnectionRefusedError:
                threading.Event().wait(0.005)
        if answers:  # serving: its handlers are set (else serve has failed: nothing to stop)
            os.kill(os.getpid(), how)

    asking = threading.Thread(target=reviewer)
    asking.start()
    serve(shot, spec, port=port, by="ann")
    asking.join()
    assert answers == [200]
    assert capsys.readouterr().out.splitlines() == [
        f"review page: http://127.0.0.1:{port}/",
        f"decisions by ann go to {spec.parent / 'overrides.yaml'}; Ctrl-C stops the server",
        "stopped"]
    assert {s: signal.getsignal(s) for s in before} == before
    with socket.socket() as again:  # the server's socket was closed: the port is free
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
        again.listen()
