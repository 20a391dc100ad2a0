"""Redis down, for real: a private Redis (never the machine's shared one) is killed mid-test.

Without Redis a person still signs in (throttling counts in the web process meanwhile), reads mail,
and Envoyer still puts the message in the outbox, which the sweeper hands over when Redis is back.
A real Celery worker process rides out the outage and sends what is queued after it.
"""

import os
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.db import connection

from tests.outbox.conftest import state_of, wait_for
from tests.redis_server import PrivateRedis, point_at
from webmail.accounts import throttle
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/compte/connexion/"


@pytest.fixture
def private_redis(settings, isolated_redis):
    from webmail.celery import app

    server = PrivateRedis().start()
    try:
        point_at(settings, server.url())  # the throttle starts on Redis, empty: tests/conftest.py
        yield server
    finally:
        server.stop()
        app.conf.broker_url = isolated_redis
        app._pool = None
        app.amqp._producer_pool = None


def _letter(to: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Zofia Wiśniewska <zofia@example.test>"
    message["To"] = to
    message["Subject"] = "Zażółć gęślą jaźń — compte rendu"
    message.set_content("Bonjour,\n\n" + "Voici le compte rendu de la réunion de lundi. " * 120 + "\n\nZofia\n")
    return message.as_bytes()


def test_without_redis_sign_in_reading_and_envoyer_work(client, mail_user, bob, imap, private_redis, short_delay):
    with imap(mail_user) as mailbox:
        mailbox.append("INBOX", _letter(mail_user.email))
        uid = mailbox.search("INBOX", ["ALL"])[0]
    private_redis.stop()

    signed_in = client.post(LOGIN, {"email": mail_user.email, "password": mail_user.password})
    assert signed_in.status_code == 302, signed_in.content[:300]
    inbox = client.get("/mail/")
    assert inbox.status_code == 200
    assert "Zażółć gęślą jaźń" in inbox.content.decode()
    reading = client.get(f"/mail/{uid}/")
    assert reading.status_code == 200
    assert "compte rendu de la réunion" in client.get(f"/mail/{uid}/corps/").content.decode()

    edit_url = client.get("/ecrire/").url
    sent = client.post(edit_url, {"to": bob.email, "cc": "", "bcc": "", "subject": "Rapport — تقرير",
                                  "body": "Le rapport suit.", "action": "send"})
    assert sent.status_code == 302, sent.content[:300]
    outbox = OutboxMessage.objects.get()
    assert outbox.state == State.PENDING, "queued in the database, for the sweeper to hand over later"
    assert client.get("/envoi/").status_code == 200
    assert client.get("/envoi/toasts/").status_code in (200, 204)
    cancelled = client.post(f"/envoi/{outbox.pk}/annuler/")
    assert cancelled.status_code == 302
    assert state_of(outbox) == State.CANCELLED


def test_without_redis_throttling_still_limits_in_the_process(client, mail_user, private_redis, settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    private_redis.stop()
    for _ in range(3):
        assert client.post(LOGIN, {"email": mail_user.email, "password": "mauvais"}).status_code == 401
    refused = client.post(LOGIN, {"email": mail_user.email, "password": mail_user.password})
    assert refused.status_code == 429
    assert "Réessayez dans 15 minutes." in refused.content.decode()


def test_throttling_counts_in_redis_again_once_it_is_back(client, mail_user, private_redis, settings, monkeypatch):
    import redis

    monkeypatch.setattr(throttle, "REDIS_RETRY_SECONDS", 0.0)
    private_redis.stop()
    assert client.post(LOGIN, {"email": mail_user.email, "password": "mauvais"}).status_code == 401
    private_redis.start()
    assert client.post(LOGIN, {"email": mail_user.email, "password": "mauvais"}).status_code == 401
    keys = redis.Redis.from_url(private_redis.url()).keys("*login-fail*")
    assert keys, "the counters went back to the shared Redis"


def _database_url() -> str:
    """The test database, for a worker in another process (SQLite: a file; see settings.py)."""
    params = connection.settings_dict
    if params["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{params['NAME']}"
    return (f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST'] or 'localhost'}:"
            f"{params['PORT'] or 5432}/{params['NAME']}")


def _worker_env(settings, redis_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IMAP_", "SMTP_", "DATABASE_URL"))}
    env.update(
        REDIS_URL=redis_url, CELERY_BROKER_URL=redis_url, DATABASE_URL=_database_url(), PYTHONUNBUFFERED="1",
        IMAP_HOST=settings.IMAP_HOST, IMAP_PORT=str(settings.IMAP_PORT), IMAP_SECURITY=settings.IMAP_SECURITY,
        SMTP_HOST=settings.SMTP_HOST, SMTP_PORT=str(settings.SMTP_PORT), SMTP_SECURITY=settings.SMTP_SECURITY,
        MAIL_TIMEOUT="5",
    )
    return env


def test_a_worker_process_rides_out_a_redis_restart(signed_in_client, compose, bob, smtp_server, private_redis,
                                                    settings, short_delay, tmp_path):
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log_file:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "webmail", "worker", "--loglevel", "INFO", "--concurrency", "1",
             "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=_worker_env(settings, private_redis.url()), stdout=log_file, stderr=subprocess.STDOUT,
        )
    log = log_path.read_text
    try:
        wait_for(lambda: "ready." in log(), timeout=60)
        # A message in its undo window: the worker holds its task unacknowledged, as under real use;
        # that is when Celery 5.7.0 crashed on a lost connection.
        short_delay(60)
        compose(bob.email, subject="Pendant la panne", body="Ce message attend son heure.")
        waiting = OutboxMessage.objects.get()
        wait_for(lambda: "received" in log(), timeout=20)

        private_redis.stop()
        wait_for(lambda: "Connection to broker lost" in log(), timeout=20)
        time.sleep(3)  # a few reconnection attempts against a dead port
        assert worker.poll() is None, log()[-3000:]
        private_redis.start()  # empty, as after a crash without persistence
        wait_for(lambda: log().count("Connected to redis") >= 2, timeout=60)
        assert worker.poll() is None, log()[-3000:]

        signed_in_client.post(f"/envoi/{waiting.pk}/annuler/")
        short_delay(1)
        compose(bob.email, subject="Après la panne — po awarii", body="Parti après le retour de Redis.")
        after = OutboxMessage.objects.exclude(pk=waiting.pk).get()
        wait_for(lambda: state_of(after) == State.SENT, timeout=30)
        after.refresh_from_db()
        assert len(smtp_server.messages_with_id(after.message_id)) == 1
        assert worker.poll() is None
        assert "Unrecoverable error" not in log()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
