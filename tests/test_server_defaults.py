"""`streamlit run app.py` as a user starts it: the server listens on this machine only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest
from browser_support import ROOT, StreamlitServer, free_port, stop, wait_healthy


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


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="reads the kernel's socket table (Linux)")
def test_the_app_listens_on_loopback_only_unless_told_otherwise(tmp_path):
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="streamlit-", suffix=".log")[1])
    with open(log, "wb") as out:  # no --server.address: the project's .streamlit/config.toml decides
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)], cwd=ROOT,
            env={**os.environ, "AIRTYPE_DATABASE_URL": f"sqlite:///{tmp_path / 'airtype.db'}"},
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
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


def test_uploads_are_capped_and_xsrf_protection_stays_on():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    assert config["address"] == "localhost"
    assert 0 < config["maxUploadSize"] <= 200
    assert config["enableXsrfProtection"] is True
