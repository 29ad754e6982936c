"""`streamlit run app.py` as a user starts it: the server listens on this machine only, and refuses
uploads over the README's cap or without the XSRF token."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest
from browser_support import ROOT, StreamlitServer, browser, free_port, stop, streamlit_server, wait_healthy  # noqa: F401


def _listening(port: int) -> list[str]:
    """The local addresses (hex, as the kernel lists them) with a listening TCP socket on `port`."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if int(hex_port, 16) == port and state == "0A":  # 0A: LISTEN
                found.append(address)
    return found


def _outside_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = probe.getsockname()[0]
        except OSError:
            return []
    return [] if address.startswith("127.") else [address]


@pytest.mark.slow  # a real server
@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="reads the kernel's socket table (Linux)")
def test_the_app_listens_on_loopback_only_unless_told_otherwise(tmp_path):
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="streamlit-", suffix=".log")[1])
    with open(log, "wb") as out:  # no --server.address: the project's .streamlit/config.toml decides
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
            cwd=ROOT,
            env={**os.environ, "AIRTYPE_DATABASE_URL": f"sqlite:///{tmp_path / 'airtype.db'}"},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = StreamlitServer(f"http://localhost:{port}", process, log)
    try:
        wait_healthy(server)
        listening = _listening(port)
        assert listening, "the server listens somewhere"
        loopback = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1, ::1
        assert set(listening) <= loopback, f"listening on {listening}: reachable from the network"
        assert "Network URL" not in server.log()
        for address in _outside_addresses():
            with pytest.raises(OSError):
                socket.create_connection((address, port), timeout=2).close()
    finally:
        stop(server)


UPLOAD_CAP_MB = 100  # what the README promises: bigger uploads are refused by the server


def _session_ids(payload: bytes | str) -> list[str]:
    """The session id in a server-to-browser message, when it is the one that opens the session."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if isinstance(payload, str):
        return []
    message = ForwardMsg()
    message.ParseFromString(payload)
    if message.WhichOneof("type") != "new_session":
        return []
    return [message.new_session.initialize.session_id]


def _put_headers_only(url: str, length: int, headers: dict[str, str]) -> int:
    """The status the server answers to an upload that announces `length` bytes, before any is sent."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.putrequest("PUT", parts.path)
        for name, value in {
            **headers,
            "Content-Type": "multipart/form-data; boundary=x",
            "Content-Length": str(length),
        }.items():
            connection.putheader(name, value)
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.slow
def test_the_server_refuses_an_upload_over_the_cap_and_one_without_the_xsrf_token(browser, tmp_path):
    """Straight to the server's upload endpoint, in a real browser session (its session id and
    XSRF cookie): what a page's file picker would send, without the picker's own size check."""
    with streamlit_server("app.py", env={"AIRTYPE_DATABASE_URL": f"sqlite:///{tmp_path / 'airtype.db'}"}) as server:
        context = browser.new_context()
        page = context.new_page()
        sessions: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: sessions.extend(_session_ids(payload))))
        page.goto(server.url)
        deadline = time.monotonic() + 60
        while not sessions and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert sessions, "the server opened no session for the page"
        token = next(c["value"] for c in context.cookies() if c["name"] == "_streamlit_xsrf")
        url = f"{server.url}/_stcore/upload_file/{sessions[0]}/samples"
        file = {"name": "samples.jsonl", "mimeType": "application/octet-stream", "buffer": b"x" * 1024}

        assert context.request.put(url, multipart={"file": file}, headers={"X-Xsrftoken": token}).status == 204
        assert context.request.put(url, multipart={"file": file}).status == 403  # no XSRF token
        cookie = {"Cookie": f"_streamlit_xsrf={token}", "X-Xsrftoken": token}
        assert _put_headers_only(url, (UPLOAD_CAP_MB + 1) * 1024 * 1024, cookie) == 413  # too large
        context.close()
