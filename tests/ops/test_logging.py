"""Production logs: one JSON line per outbox state change, with the outbox id, never the content,
the recipients or the password."""

import io
import json
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.outbox.conftest import state_of, wait_for
from webmail.compose.models import Composition
from webmail.core.logging import JsonFormatter
from webmail.outbox import service
from webmail.outbox.models import State

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_log():
    """What the console handler prints with LOG_FORMAT=json, for every logger (worker threads too).

    Request it after celery_worker: the worker's start-up runs django.setup(), which reconfigures logging."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    # aiosmtpd's "mail.log" is the test SMTP server (in this process here, another machine in production).
    handler.addFilter(lambda record: not record.name.startswith("mail.log"))
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)  # LOG_LEVEL=INFO, as in production; the test worker leaves it at ERROR
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _queue(user, to: str, subject: str, body: str, in_seconds: float):
    composition = Composition.objects.create(user=user, to=to, subject=subject, body=body)
    return service.queue(composition, send_at=timezone.now() + timedelta(seconds=in_seconds))


@pytest.mark.imap
@pytest.mark.smtp
@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_every_outbox_state_change_is_one_json_line_without_content(
    alice, bob, smtp_server, celery_worker, short_delay, signed_in_client, json_log
):
    secrets = {
        "subject": "Projet confidentiel Hermès",
        "body": "Le code du coffre est 4815162342",
        "recipient": bob.email,
        "password": signed_in_client.mail_user.password,
    }
    cancelled = _queue(alice, bob.email, secrets["subject"], secrets["body"], in_seconds=30)
    assert service.cancel(alice, cancelled.pk).cancelled
    sent = _queue(alice, bob.email, secrets["subject"], secrets["body"], in_seconds=0.2)
    refused = _queue(alice, "personne@example.test", secrets["subject"], secrets["body"], in_seconds=0.2)
    wait_for(lambda: state_of(sent) == State.SENT and state_of(refused) == State.FAILED, timeout=30)

    output = json_log.getvalue()
    records = [json.loads(line) for line in output.splitlines()]  # every line is one JSON object
    events = {(r.get("event"), r.get("outbox_id")) for r in records}
    assert {("outbox.queued", cancelled.pk), ("outbox.cancelled", cancelled.pk)} <= events
    assert {("outbox.queued", sent.pk), ("outbox.claimed", sent.pk), ("outbox.sent", sent.pk)} <= events
    assert {("outbox.claimed", refused.pk), ("outbox.failed", refused.pk)} <= events
    queued = next(r for r in records if r.get("event") == "outbox.queued" and r["outbox_id"] == sent.pk)
    assert {"time", "level", "logger", "message", "deadline"} <= queued.keys()
    assert queued["level"] == "INFO" and queued["logger"] == "webmail.outbox"
    claimed = next(r for r in records if r.get("event") == "outbox.claimed" and r["outbox_id"] == sent.pk)
    assert claimed["attempt"] == 1
    for what, text in secrets.items():
        assert text not in output, f"the {what} leaked into the logs"


def test_log_format_json_turns_the_console_into_json_lines():
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "webmail.settings"}
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('webmail.outbox').info('outbox queued', extra={'event': 'outbox.queued', 'outbox_id': 7})"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["event"] == "outbox.queued" and line["outbox_id"] == 7 and line["message"] == "outbox queued"


def test_an_unknown_log_format_stops_start_up():
    env = {**os.environ, "LOG_FORMAT": "xml", "DJANGO_SETTINGS_MODULE": "webmail.settings"}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "LOG_FORMAT must be plain or json" in result.stderr
