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

from tests.helpers import preferences_data
from webmail.demo.dovecot import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.imap, pytest.mark.redis]


def test_rundemo_serves_the_demo_inbox_and_stops_cleanly(tmp_path, isolated_redis):
    port = free_port()
    # Without PYTHONUNBUFFERED, as on a machine that does not set it: the banner must still arrive.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("IMAP_", "SMTP_", "DATABASE_URL", "PYTHONUNBUFFERED"))}
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
            _sign_in(web, port, "alice@demo.test", "alice")
            inbox = web.get("/mail/")
            assert "Facture n° 2026-114" in inbox.text
            assert "Your November product update" in inbox.text
            _send_from_alice_to_bob(web, port)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=False, timeout=20) as bob:
            _sign_in(bob, port, "bob@demo.test", "bob")
            deadline = time.monotonic() + 30
            while "Coucou Bob depuis la démo" not in bob.get("/mail/").text:
                assert time.monotonic() < deadline, "alice's message never reached bob's inbox"
                time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    from webmail.demo.dovecot import PrivateDovecot

    assert not PrivateDovecot(tmp_path / "demo-mail").pid_file.exists(), "the demo Dovecot was left running"


def _token(web, path: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', web.get(path).text).group(1)


def _sign_in(web, port: int, email: str, password: str) -> None:
    signed_in = web.post(
        "/compte/connexion/",
        data={"csrfmiddlewaretoken": _token(web, "/compte/connexion/"), "email": email, "password": password},
        headers={"Referer": f"http://127.0.0.1:{port}/compte/connexion/"},
    )
    assert signed_in.status_code == 302


def _send_from_alice_to_bob(web, port: int) -> None:
    """Through the running worker, SMTP receiver and Dovecot: the whole `make run` stack."""
    referer = {"Referer": f"http://127.0.0.1:{port}/"}
    settings_page = preferences_data(csrfmiddlewaretoken=_token(web, "/parametres/"), undo_delay="5",
                                     off_hours_nudge=None)
    assert web.post("/parametres/", data=settings_page, headers=referer).status_code == 302
    compose = web.get("/ecrire/").headers["location"]
    sent = web.post(compose, headers=referer, data={
        "csrfmiddlewaretoken": _token(web, compose), "to": "bob@demo.test", "cc": "", "bcc": "",
        "subject": "Coucou Bob depuis la démo", "body": "Bonjour Bob, à demain.", "action": "send", "confirmed": "1",
    })
    assert sent.status_code == 302, sent.text[:500]
