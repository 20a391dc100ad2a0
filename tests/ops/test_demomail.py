"""The compose `demo` service's command: the demo mail server alone, reachable from other machines
(--listen 0.0.0.0), with alice's demo inbox, delivering what bob sends; SIGTERM stops Dovecot."""

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from webmail.demo.dovecot import PrivateDovecot, free_port
from webmail.imap import gateway

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.imap, pytest.mark.smtp]


def test_demomail_serves_the_demo_accounts_and_stops_on_sigterm(tmp_path, settings):
    imap_port, smtp_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMAP_", "SMTP_"))}
    env.update(WEBMAIL_VAR_DIR=str(tmp_path), DEMO_IMAP_PORT=str(imap_port), DEMO_LMTP_PORT=str(free_port()),
               DEMO_SMTP_PORT=str(smtp_port))
    process = subprocess.Popen(
        [sys.executable, "manage.py", "demomail", "--listen", "0.0.0.0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        output = ""
        deadline = time.monotonic() + 60
        while "Ready." not in output and time.monotonic() < deadline and process.poll() is None:
            output += process.stdout.readline()
        assert "Ready." in output, output
        assert "alice@demo.test  password: alice" in output
        assert f"IMAP on 0.0.0.0:{imap_port}" in output

        settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_SECURITY = "127.0.0.1", imap_port, "none"
        with gateway.mailbox_for("alice@demo.test", "alice") as mailbox:
            assert mailbox.page("INBOX", 1, per_page=50).total >= 5  # the seeded demo messages

        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "bob@demo.test", "alice@demo.test", "Depuis bob"
        message.set_content("Bonjour Alice")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as smtp:
            smtp.login("bob@demo.test", "bob")
            smtp.send_message(message)
        with gateway.mailbox_for("alice@demo.test", "alice") as mailbox:
            assert mailbox.search("INBOX", ["SUBJECT", "Depuis bob"])
    finally:
        gateway.pool.clear()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert "Demo mail server stopped." in process.stdout.read()
    assert not PrivateDovecot(tmp_path / "demo-mail").pid_file.exists(), "the demo Dovecot was left running"


def test_free_ports_lie_outside_the_range_the_kernel_gives_outgoing_connections():
    """A port from that range can be taken by an outgoing connection before Dovecot binds it (seen
    once: "imap-login: listen(127.0.0.1, 47103) failed: Address already in use")."""
    low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    for _ in range(50):
        port = free_port()
        assert not low <= port <= high
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # and it is free
