"""`make run`'s command, end to end: it starts the demo mail server, serves the sign-in page,
alice signs in and sees her demo inbox, and Ctrl-C stops everything."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from webmail.demo.dovecot import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.imap, pytest.mark.redis]


def test_rundemo_serves_the_demo_inbox_and_stops_cleanly(tmp_path, isolated_redis):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMAP_", "SMTP_", "DATABASE_URL"))}
    env.update(
        WEBMAIL_VAR_DIR=str(tmp_path), REDIS_URL=isolated_redis, DEMO_IMAP_PORT=str(free_port()),
        DEMO_LMTP_PORT=str(free_port()), DEMO_SMTP_PORT=str(free_port()),
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "rundemo", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        output = ""
        deadline = time.monotonic() + 60
        while "Ctrl-C" not in output and time.monotonic() < deadline:
            output += process.stdout.readline()
        assert "alice@demo.test  password: alice" in output

        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=False, timeout=20) as web:
            page = web.get("/compte/connexion/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
            signed_in = web.post(
                "/compte/connexion/",
                data={"csrfmiddlewaretoken": token, "email": "alice@demo.test", "password": "alice"},
                headers={"Referer": f"http://127.0.0.1:{port}/compte/connexion/"},
            )
            assert signed_in.status_code == 302
            inbox = web.get("/mail/")
            assert "Facture n° 2026-114" in inbox.text
            assert "Your November product update" in inbox.text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    from webmail.demo.dovecot import PrivateDovecot

    assert not PrivateDovecot(tmp_path / "demo-mail").pid_file.exists(), "the demo Dovecot was left running"
