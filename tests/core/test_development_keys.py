"""`make run` without keys of its own: random keys generated into var/ on the first run and kept,
read alike by the web, worker and beat processes; production still refuses to run without real ones.

Before, a development instance encrypted the stored mail passwords with a key derived from the
public fallback SECRET_KEY: anyone with a copy of its database could read them.
"""

import base64
import hashlib
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken

from tests.core.test_rundemo import _send_from_alice_to_bob, _sign_in
from tests.core.test_settings import PRODUCTION_ENV, _check_deploy
from webmail.demo.dovecot import free_port

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_FALLBACK = b"django-insecure-local-development-key-change-me"


def _key_derived_from_the_public_fallback() -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(b"webmail-credentials:" + PUBLIC_FALLBACK).digest())


def _environment(var_dir: Path, **extra) -> dict:
    """The machine's environment without any key or server setting, as a newcomer's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "CREDENTIALS", "IMAP_", "SMTP_", "DATABASE_URL", "PYTHONUNBUFFERED"))}
    env.update(WEBMAIL_VAR_DIR=str(var_dir), **extra)
    return env


@contextmanager
def _rundemo(env: dict, port: int):
    """`manage.py rundemo` until Ctrl-C. Its output goes to a file: a pipe nobody reads once the
    banner is there would fill up and block the worker's logging, and with it the worker."""
    ports = {name: str(free_port()) for name in ("DEMO_IMAP_PORT", "DEMO_LMTP_PORT", "DEMO_SMTP_PORT")}
    log = Path(env["WEBMAIL_VAR_DIR"]) / f"rundemo-{port}-{time.monotonic_ns()}.log"
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "manage.py", "rundemo", "--port", str(port)], cwd=ROOT,
                                   env={**env, **ports}, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "Ctrl-C" not in log.read_text() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert "Ctrl-C" in log.read_text(), log.read_text()[-3000:]
        yield
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def _stored_password(var_dir: Path, email: str) -> bytes:
    with sqlite3.connect(var_dir / "webmail.sqlite3") as database:
        [(token,)] = database.execute("SELECT encrypted_password FROM accounts_mailaccount WHERE email = ?", (email,))
    return token.encode()


@pytest.mark.imap
@pytest.mark.smtp
@pytest.mark.redis
@pytest.mark.celery
def test_make_run_encrypts_mail_passwords_with_a_generated_key_kept_across_runs(tmp_path, isolated_redis):
    env = _environment(tmp_path, REDIS_URL=isolated_redis)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    port = free_port()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=False, timeout=20) as alice:
        with _rundemo(env, port):
            _sign_in(alice, port, "alice@demo.test", "alice")
            # The worker signs in to SMTP with the stored password: it reads the web's key.
            _send_from_alice_to_bob(alice, port)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=False, timeout=20) as bob:
                _sign_in(bob, port, "bob@demo.test", "bob")
                deadline = time.monotonic() + 30
                while "Coucou Bob depuis la démo" not in bob.get("/mail/").text:
                    assert time.monotonic() < deadline, "the worker could not send alice's message"
                    time.sleep(0.5)

        keys_file = tmp_path / "development-keys.json"
        assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
        keys = json.loads(keys_file.read_text())
        stored = _stored_password(tmp_path, "alice@demo.test")
        with pytest.raises(InvalidToken):
            Fernet(_key_derived_from_the_public_fallback()).decrypt(stored)
        assert Fernet(keys["CREDENTIALS_KEYS"]).decrypt(stored) == b"alice"
        assert keys["DJANGO_SECRET_KEY"].encode() != PUBLIC_FALLBACK

        # Second run: the same keys, so alice is still signed in and her stored password still opens her inbox.
        with _rundemo(env, port):
            inbox = alice.get("/mail/")
            assert inbox.status_code == 200, inbox.headers.get("location")
            assert "Facture n° 2026-114" in inbox.text
        assert json.loads(keys_file.read_text()) == keys


def test_processes_starting_together_share_one_generated_key(tmp_path):
    """rundemo starts web, worker and beat at the same moment: each generates keys if none exist."""
    env = _environment(tmp_path / "var", DJANGO_DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    show = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.SECRET_KEY, settings.CREDENTIALS_KEYS)")
    processes = [subprocess.Popen([sys.executable, "-c", show], cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE":
                                   "webmail.settings"}, stdout=subprocess.PIPE, text=True) for _ in range(6)]
    printed = {process.communicate(timeout=60)[0] for process in processes}
    assert len(printed) == 1, printed
    keys = json.loads((tmp_path / "var" / "development-keys.json").read_text())
    assert printed == {f"{keys['DJANGO_SECRET_KEY']} {[keys['CREDENTIALS_KEYS']]}\n"}
    assert sorted(path.name for path in (tmp_path / "var").iterdir()) == ["development-keys.json"]


def test_check_deploy_refuses_the_generated_keys(tmp_path):
    env = {**PRODUCTION_ENV, "CREDENTIALS_KEYS": "", "DJANGO_SECRET_KEY": "", "DJANGO_DEBUG": "true",
           "WEBMAIL_VAR_DIR": str(tmp_path)}
    result = _check_deploy(env)
    assert result.returncode != 0
    assert "webmail.E001" in result.stderr and "webmail.E003" in result.stderr


def test_without_debug_no_key_is_generated_and_check_deploy_refuses_as_before(tmp_path):
    """Production, and the test suite, never write keys into var/."""
    env = {**PRODUCTION_ENV, "CREDENTIALS_KEYS": "", "DJANGO_SECRET_KEY": "", "WEBMAIL_VAR_DIR": str(tmp_path)}
    result = _check_deploy(env)
    assert "webmail.E001" in result.stderr and "security.W009" in result.stderr
    assert not (tmp_path / "development-keys.json").exists()


def test_a_damaged_keys_file_stops_start_up_with_a_clear_message(tmp_path):
    (tmp_path / "development-keys.json").write_text('{"DJANGO_SECRET_KEY": "x", "CREDENTIALS_KEYS": "short"}')
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
                            env=_environment(tmp_path, DJANGO_DEBUG="true"), timeout=120)
    assert result.returncode != 0
    assert "does not hold usable development keys" in result.stderr
    assert "delete it to generate new ones" in result.stderr
