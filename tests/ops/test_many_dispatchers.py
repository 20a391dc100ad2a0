"""Two beat processes started by mistake, and several workers, still send every message exactly once.

Three real Celery workers (`celery -A webmail worker`, the production entry point, as separate
processes) consume the same Redis queue; two "beats" run the sweeper (which both dispatches
scheduled messages and re-dispatches overdue ones) every 100 ms, so a message can be handed over
several times, by either beat, to any worker. The database's conditional claim must let exactly one
send happen.

The workers are processes rather than `celery.contrib.testing` threads: three in-process test
workers sometimes never consumed (or never stopped), which says nothing about the outbox.
"""

import os
import random
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from email.parser import BytesHeaderParser
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from tests.outbox.conftest import messages_in, state_of, wait_for
from webmail.celery import app
from webmail.compose.models import Composition
from webmail.core.tasks import HEARTBEAT_KEY, heartbeat
from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State

ROOT = Path(__file__).resolve().parents[2]
WORKERS = [f"worker{n}@many-dispatchers" for n in range(3)]
pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


class Beat(threading.Thread):
    """What a Celery beat process does with the outbox: a sweep every 100 ms."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopping = threading.Event()
        self.sweeps = 0
        self.errors: list[BaseException] = []

    def run(self):
        try:
            while not self.stopping.wait(0.1):
                service.sweep()
                self.sweeps += 1
        except BaseException as error:  # reported by the test, not lost in the thread
            self.errors.append(error)
        finally:
            connection.close()


def _test_database_url() -> str:
    """The test database, for processes started by the test."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = f"{quote(db['USER'])}:{quote(db['PASSWORD'])}@" if db["USER"] else ""
    return f"postgres://{credentials}{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker_processes(settings, isolated_redis, tmp_path):
    """Three worker processes with this test's configuration (database, broker, mail servers)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "IMAP_", "SMTP_"))}
    env.update(
        DATABASE_URL=_test_database_url(), REDIS_URL=isolated_redis, CELERY_BROKER_URL=isolated_redis,
        IMAP_HOST=settings.IMAP_HOST, IMAP_PORT=str(settings.IMAP_PORT), IMAP_SECURITY=settings.IMAP_SECURITY,
        SMTP_HOST=settings.SMTP_HOST, SMTP_PORT=str(settings.SMTP_PORT), SMTP_SECURITY=settings.SMTP_SECURITY,
        MAIL_TIMEOUT=str(settings.MAIL_TIMEOUT), OUTBOX_GRACE_SECONDS=str(settings.OUTBOX_GRACE_SECONDS),
        OUTBOX_DISPATCH_AHEAD_SECONDS=str(settings.OUTBOX_DISPATCH_AHEAD_SECONDS),
        OUTBOX_RETRY_BASE_SECONDS=str(settings.OUTBOX_RETRY_BASE_SECONDS), LOG_LEVEL="WARNING",
    )
    processes = []
    for name in WORKERS:
        log = open(tmp_path / f"{name.split('@')[0]}.log", "w")  # closed in the finally below
        command = [sys.executable, "-m", "celery", "-A", "webmail", "--quiet", "worker", "--hostname", name,
                   "--pool", "threads", "--concurrency", "2", "--without-mingle", "--without-gossip"]
        processes.append((subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log))
    try:
        wait_for(lambda: len(app.control.ping(destination=WORKERS, timeout=0.5)) == len(WORKERS), timeout=60)
        yield [process for process, _ in processes]
    finally:
        for process, _ in processes:
            process.send_signal(signal.SIGTERM)  # warm shutdown, as `docker compose stop` does
        for process, log in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def test_two_beats_and_three_workers_send_every_message_exactly_once(alice, bob, imap, smtp_server, settings,
                                                                    short_delay, isolated_redis, request):
    settings.OUTBOX_DISPATCH_AHEAD_SECONDS = 1  # scheduled messages wait for the dispatcher
    settings.OUTBOX_REDISPATCH_SECONDS = 1  # and overdue ones are handed over again every second
    workers = request.getfixturevalue("worker_processes")  # after the settings above
    rng = random.Random(7)
    queued = []
    for i in range(30):
        scheduled = i % 2 == 1
        composition = Composition.objects.create(user=alice, to=bob.email, subject=f"lot {i}", body="texte")
        delay = rng.uniform(2.0, 4.0) if scheduled else rng.uniform(0.5, 1.5)
        queued.append(service.queue(composition, send_at=timezone.now() + timedelta(seconds=delay),
                                    scheduled=scheduled))

    beats = [Beat(), Beat()]
    for beat in beats:
        beat.start()
    try:
        wait_for(lambda: OutboxMessage.objects.filter(state=State.SENT).count() == len(queued), timeout=90,
                 interval=0.2)
        wait_for(lambda: all(beat.sweeps >= 10 for beat in beats), timeout=30)  # both beats really ran
    finally:
        for beat in beats:
            beat.stopping.set()
        for beat in beats:
            beat.join(timeout=30)
    assert all(worker.poll() is None for worker in workers), "a worker died"
    app.control.purge()  # leftover duplicate tasks would only be skipped, but belong to no other test

    assert not [error for beat in beats for error in beat.errors]
    for outbox in queued:
        outbox.refresh_from_db()
        assert outbox.state == State.SENT
        assert outbox.attempts == 1, f"#{outbox.pk} was claimed {outbox.attempts} times"
        assert len(smtp_server.messages_with_id(outbox.message_id)) == 1, f"#{outbox.pk} accepted more than once"
        assert outbox.sent_at >= outbox.deadline, f"#{outbox.pk} left before its time"
    inbox_ids = [BytesHeaderParser().parsebytes(raw)["Message-ID"] for raw in messages_in(imap, bob)]
    assert sorted(inbox_ids) == sorted(outbox.message_id for outbox in queued), "each arrived exactly once"


def test_a_worker_killed_holding_a_task_delays_the_message_by_seconds_not_a_minute(
    alice, bob, smtp_server, settings, isolated_redis, request
):
    """Production settings (grace 5 s, redispatch 60 s): the task sits in the killed worker's
    hands until Redis's visibility timeout, so only the sweeper can send the message in time."""
    settings.OUTBOX_GRACE_SECONDS, settings.OUTBOX_REDISPATCH_SECONDS = 5, 60
    workers = request.getfixturevalue("worker_processes")
    heartbeat.delay()  # beat's heartbeat, run by a live worker: what tells the sweeper workers are up
    wait_for(lambda: cache.get(HEARTBEAT_KEY), timeout=20)
    composition = Composition.objects.create(user=alice, to=bob.email, subject="tenu par un mort", body="texte")
    outbox = service.queue(composition, send_at=timezone.now() + timedelta(seconds=4))
    holder = wait_for(lambda: _worker_holding(OutboxMessage.objects.get(pk=outbox.pk).task_id), timeout=20)
    victim = workers[WORKERS.index(holder)]
    victim.kill()
    victim.wait()

    beat = Beat()
    beat.start()
    try:
        wait_for(lambda: state_of(outbox) == State.SENT, timeout=20, interval=0.2)
    finally:
        beat.stopping.set()
        beat.join(timeout=30)
    outbox.refresh_from_db()
    lateness = (outbox.sent_at - outbox.deadline).total_seconds()
    assert lateness < settings.OUTBOX_GRACE_SECONDS + 5, f"left {lateness:.1f} s late"
    assert len(smtp_server.messages_with_id(outbox.message_id)) == 1
    app.control.purge()


def _worker_holding(task_id: str) -> str | None:
    """The worker that has this task reserved with its ETA, if any has yet."""
    scheduled = app.control.inspect(destination=WORKERS, timeout=1).scheduled() or {}
    for worker, entries in scheduled.items():
        if any(entry["request"]["id"] == task_id for entry in entries):
            return worker
    return None
