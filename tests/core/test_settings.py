import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from webmail.core.env import env_bool, env_int, env_security

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "DJANGO_ALLOWED_HOSTS": "mail.example.com",
    "DJANGO_HTTPS": "true",
    "CREDENTIALS_KEYS": "x6N1d3uJ0rZ6O0c8Yl0C8i8Yl0C8i8Yl0C8i8Yl0C8g=",
    "IMAP_HOST": "imap.example.com",
    "SMTP_HOST": "smtp.example.com",
    "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3",
}


def _check_deploy(extra: dict) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "IMAP_", "SMTP_", "CREDENTIALS"))}
    env.update(extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = _check_deploy(PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_refuses_missing_credentials_key_and_dev_secret():
    env = {**PRODUCTION_ENV, "CREDENTIALS_KEYS": "", "DJANGO_SECRET_KEY": ""}
    result = _check_deploy(env)
    assert result.returncode != 0
    assert "webmail.E001" in result.stderr + result.stdout
    assert "security.W009" in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("reader", "value"),
    [(env_bool, "maybe"), (lambda name: env_int(name, 0), "ten"), (lambda name: env_security(name, "tls"), "ssl3")],
)
def test_bad_environment_values_fail_loudly(monkeypatch, reader, value):
    monkeypatch.setenv("WEBMAIL_TEST_VALUE", value)
    with pytest.raises(ImproperlyConfigured):
        reader("WEBMAIL_TEST_VALUE")
