"""The sandbox as a thread (start/stop/reset) and as the ``cdtui sandbox`` command; the
label document builders on awkward text."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from sbhelpers import check_pdf

from cdtui.sandbox import data, documents
from cdtui.sandbox.server import SandboxServer, main


def test_start_binds_and_stop_releases_the_port() -> None:
    with SandboxServer(orders=3, seed=2) as server:
        assert server.running
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert httpx.get(f"{server.url}/_sandbox/state").status_code == 200
        port = server.port
    assert not server.running
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))  # free again


def test_reset_serves_a_new_world_on_the_same_port(sandbox: SandboxServer) -> None:
    sandbox.world.add_orders(5)
    old = sandbox.world
    world = sandbox.reset(orders=4, seed=3, second_seller_orders=0)
    state = httpx.get(f"{sandbox.url}/_sandbox/state").json()
    assert world is not old
    assert state["sellers"][data.SELLER_ID]["orders"] == 4


def test_env_points_cdtui_at_the_sandbox(sandbox: SandboxServer) -> None:
    env = sandbox.env()
    assert env["CDTUI_OCTOPIA_AUTH_URL"] == (
        f"{sandbox.url}/auth/realms/maas/protocol/openid-connect/token"
    )
    assert env["CDTUI_OCTOPIA_API_URL"] == f"{sandbox.url}/seller/v2"
    assert env["CDTUI_SENDCLOUD_API_URL"] == f"{sandbox.url}/api/v3"
    assert env["CDTUI_OCTOPIA_CLIENT_ID"] == "cdtui-sandbox"
    assert env["CDTUI_SENDER_ADDRESS_ID"] == "192"


def test_main_usage_errors_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "--orders" in capsys.readouterr().out
    assert main(["--orders", "many"]) == 2
    assert "--orders" in capsys.readouterr().err
    assert main(["--port", "70000"]) == 2


def test_main_reports_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with SandboxServer(orders=0) as busy:
        code = main(["--port", str(busy.port), "--orders", "0"])
    assert code == 1
    assert "cannot listen" in capsys.readouterr().err


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_command_prints_urls_and_credentials_and_stops_cleanly(stop_signal: int) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cdtui.sandbox.server", "--port", "0", "--orders", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        deadline = time.monotonic() + 20
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line:
                break
        text = "".join(lines)
        url = re.search(r"listening on (http://\S+)", text)
        assert url, text
        assert httpx.get(f"{url.group(1)}/_sandbox/state").status_code == 200
        assert f"{url.group(1)}/seller/v2" in text
        assert f"{url.group(1)}/api/v3" in text
        assert "/auth/realms/maas/protocol/openid-connect/token" in text
        assert "export CDTUI_SENDCLOUD_SECRET_KEY=sandbox-secret-key" in text
        proc.send_signal(stop_signal)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "GET /_sandbox/state" not in out + err  # no access log


# ---------------------------------------------------------------- documents


def _content(**changes) -> documents.LabelContent:
    base = {
        "carrier": "Colissimo",
        "service": "Colissimo Home",
        "tracking_number": "6A12345678901",
        "order_number": "2511261130ABCD",
        "parcel_id": "383707310",
        "weight_kg": "1.250",
        "recipient": ["Søren Ødegård (c/o \\ Núñez)", "Calle Mayor 12", "28013 Madrid", "ES"],
    }
    return documents.LabelContent(**(base | changes))


def test_pdf_escapes_text_and_keeps_offsets_right() -> None:
    pdf = documents.build_pdf([_content(), _content(tracking_number="JJD0001")], "A5")
    assert check_pdf(pdf) == [(420, 595), (420, 595)]
    assert b"\\(c/o \\\\ N" in pdf
    assert "Søren Ødegård".encode("cp1252") in pdf


def test_pdf_survives_text_outside_winansi() -> None:
    pdf = documents.build_pdf([_content(recipient=["Nguyễn Văn Ł 東京"])])
    check_pdf(pdf)


def test_zpl_field_data_cannot_inject_commands() -> None:
    zpl = documents.build_zpl(_content(recipient=["Evil ^XZ^XA name~JA"]), "A6", 203).decode()
    assert zpl.count("^XA") == 1 and zpl.count("^XZ") == 1
    assert "~JA" not in zpl
    assert "^PW838" in zpl  # 4.13 in at 203 dpi
    accents = documents.build_zpl(_content(), "A6", 300).decode()
    assert "Søren Ødegård" in accents and "^CI28" in accents
    assert "^PW1239" in accents  # 4.13 in at 300 dpi


def test_print_env_gives_exports_a_shell_can_eval(capsys: pytest.CaptureFixture[str]) -> None:

    assert main(["--print-env", "--port", "8799"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "export CDTUI_OCTOPIA_AUTH_URL="
        "http://127.0.0.1:8799/auth/realms/maas/protocol/openid-connect/token"
    )
    assert all(line.startswith("export CDTUI_") for line in lines) and len(lines) == 8
    assert main(["--print-env", "--port", "0"]) == 2  # no fixed port: nothing to print
