"""`make run`'s command, end to end: it starts the demo mail server, serves the sign-in page,
alice signs in and sees her demo inbox, and Ctrl-C stops everything."""

import os
import re
import signal
import socket
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


def _children(pid: int) -> dict[int, str]:
    """The processes whose parent is `pid`, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            found[int(entry.name)] = command
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_rundemo_restarts_a_crashed_worker_and_stops_everything_on_sigterm(tmp_path):
    port, redis_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMAP_", "SMTP_", "DATABASE_URL", "REDIS_URL",
                                                                    "CELERY_BROKER_URL"))}
    env.update(
        WEBMAIL_VAR_DIR=str(tmp_path), PYTHONUNBUFFERED="1", DEMO_IMAP_PORT=str(free_port()),
        DEMO_LMTP_PORT=str(free_port()), DEMO_SMTP_PORT=str(free_port()),
        # Nothing listens there: rundemo starts its private Redis, whose stop it must wait for.
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", DEMO_REDIS_PORT=str(redis_port),
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    log_path = tmp_path / "rundemo.log"
    with open(log_path, "w") as log_file:
        process = subprocess.Popen([sys.executable, "manage.py", "rundemo", "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "Ctrl-C" not in log_path.read_text():
            assert time.monotonic() < deadline and process.poll() is None, log_path.read_text()
            time.sleep(0.2)
        children = _children(process.pid)
        [worker] = [pid for pid, command in children.items() if "celery" in command and " worker" in command]

        os.kill(worker, signal.SIGKILL)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as web:
            deadline = time.monotonic() + 20
            while "the Celery worker stopped (exit code -9); restarting it." not in log_path.read_text():
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                assert web.get("/compte/connexion/").status_code == 200, "the web must keep serving"
                time.sleep(0.3)
            assert web.get("/compte/connexion/").status_code == 200
        new_workers = [pid for pid, command in _children(process.pid).items()
                       if "celery" in command and " worker" in command]
        assert len(new_workers) == 1 and new_workers[0] != worker
        assert process.poll() is None, "rundemo keeps running"
        started = set(_children(process.pid))

        process.send_signal(signal.SIGTERM)
        process.wait(timeout=45)
    finally:
        if process.poll() is None:
            process.kill()
    log = log_path.read_text()
    assert "Stopping" in log
    assert not [pid for pid in started if _alive(pid)], f"left running: {started}\n{log[-2000:]}"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", redis_port), timeout=1).close()
    from webmail.demo.dovecot import PrivateDovecot

    assert not PrivateDovecot(tmp_path / "demo-mail").pid_file.exists(), "the demo Dovecot was left running"
