"""The outbox's promises, each against real servers and a real Celery worker:
never after a successful Annuler, never before the deadline, never twice, never lost."""

import random
import threading
import time
from datetime import timedelta

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from tests.outbox.conftest import flush_broker, messages_in, state_of, wait_for
from webmail.celery import app
from webmail.compose.models import Composition
from webmail.demo.dovecot import free_port
from webmail.demo.smtp import SubmissionServer
from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State
from webmail.outbox.tasks import deliver, sweep

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def _queue(user, to: str, subject: str, in_seconds: float) -> OutboxMessage:
    composition = Composition.objects.create(user=user, to=to, subject=subject, body="texte")
    return service.queue(composition, send_at=timezone.now() + timedelta(seconds=in_seconds))


def test_annuler_racing_the_worker_200_times(alice, bob, imap, smtp_server, celery_worker, short_delay):
    rng = random.Random(20261125)
    trials = []
    for i in range(200):
        outbox = _queue(alice, bob.email, f"course {i}", in_seconds=0.05)
        time.sleep(rng.uniform(0, 0.12))  # Annuler at a random moment around the deadline
        trials.append((outbox, service.cancel(alice, outbox.pk).cancelled))

    delivered = [o for o, cancelled in trials if not cancelled]
    wait_for(lambda: OutboxMessage.objects.filter(state=State.SENT).count() == len(delivered), timeout=60)
    time.sleep(0.5)  # give a wrongly surviving task the chance to misbehave
    for outbox, cancelled in trials:
        count = len(smtp_server.messages_with_id(outbox.message_id))
        if cancelled:
            assert (state_of(outbox), count) == (State.CANCELLED, 0), "sent after a successful Annuler"
        else:
            assert (state_of(outbox), count) == (State.SENT, 1), "a too-late Annuler must mean delivered once"
    assert 0 < len(delivered) < 200, "the random moments should fall on both sides of the deadline"
    assert len(messages_in(imap, bob)) == len(delivered)


def test_a_task_delivered_early_twice_or_to_several_workers_sends_once(alice, bob, smtp_server, celery_worker,
                                                                       short_delay):
    outbox = _queue(alice, bob.email, "une seule fois", in_seconds=1.0)
    assert service.deliver(outbox.pk) == "early"
    for _ in range(3):
        deliver.delay(outbox.pk)  # early and duplicated deliveries of the task
    results = []
    time.sleep(max(0.0, (outbox.deadline - timezone.now()).total_seconds()))
    threads = [threading.Thread(target=lambda: results.append(service.deliver(outbox.pk))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_for(lambda: state_of(outbox) == State.SENT)
    time.sleep(1.0)
    assert len(smtp_server.messages_with_id(outbox.message_id)) == 1
    outbox.refresh_from_db()
    assert outbox.sent_at >= outbox.deadline, "sent before its deadline"
    assert results.count("sent") <= 1


def test_worker_down_at_the_deadline_sends_when_it_comes_back(alice, bob, smtp_server, short_delay):
    outbox = _queue(alice, bob.email, "worker absent", in_seconds=0.2)
    time.sleep(1.0)
    assert state_of(outbox) == State.PENDING
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False):
        wait_for(lambda: state_of(outbox) == State.SENT)
    assert len(smtp_server.messages_with_id(outbox.message_id)) == 1


def test_broker_flushed_the_sweeper_sends_it_once(alice, bob, smtp_server, isolated_redis, short_delay):
    outbox = _queue(alice, bob.email, "broker vidé", in_seconds=0.2)
    flush_broker(isolated_redis)  # Redis lost everything, the task included
    with start_worker(app, pool="threads", concurrency=2, perform_ping_check=False):
        time.sleep(1.0)
        assert state_of(outbox) == State.PENDING
        sweep.delay()  # what beat does every OUTBOX_SWEEP_SECONDS
        wait_for(lambda: state_of(outbox) == State.SENT)
        sweep.delay()
        time.sleep(0.5)
    assert len(smtp_server.messages_with_id(outbox.message_id)) == 1


def test_tasks_still_reach_the_queue_after_redis_lost_its_keys(isolated_redis):
    """A FLUSHALL (or an eviction) under a live connection: the next hand-over is not dropped
    (Celery routes it by queue name, not through kombu's bindings, which Redis lost too)."""
    broker = redis.Redis.from_url(isolated_redis)
    with app.producer_or_acquire() as producer:  # one connection, which remembers what it declared
        deliver.apply_async((1,), producer=producer)
        assert broker.llen("celery") == 1
        broker.flushdb()
        deliver.apply_async((2,), producer=producer)
    assert broker.llen("celery") == 1


@pytest.fixture
def own_smtp(dovecot, mail_settings):
    """A submission server of this test's own, to stop and start."""
    server = SubmissionServer(dovecot, port=free_port()).start()
    mail_settings.SMTP_PORT = server.port
    yield server
    server.stop()


def test_smtp_down_then_back_retries_and_sends_once(alice, bob, own_smtp, celery_worker, short_delay,
                                                    signed_in_client):
    own_smtp.stop()
    outbox = _queue(alice, bob.email, "serveur en panne", in_seconds=0.1)
    wait_for(lambda: OutboxMessage.objects.get(pk=outbox.pk).attempts >= 1 and state_of(outbox) == State.PENDING)
    outbox.refresh_from_db()
    assert outbox.failure_kind == "connection" and outbox.last_error == "", "the server said nothing"
    toasts = signed_in_client.get("/envoi/toasts/").content.decode()
    assert "ne répond pas" in toasts and "Message envoyé" not in toasts
    own_smtp.start()
    wait_for(lambda: state_of(outbox) == State.SENT, timeout=20)
    assert len(own_smtp.messages_with_id(outbox.message_id)) == 1


def test_permanent_refusal_puts_the_message_back_in_drafts_with_the_reason(alice, imap, smtp_server, celery_worker,
                                                                          short_delay, signed_in_client):
    outbox = _queue(alice, "personne@example.test", "destinataire inconnu", in_seconds=0.1)
    wait_for(lambda: state_of(outbox) == State.FAILED)
    outbox.refresh_from_db()
    assert outbox.failure_kind == "recipients" and "550 5.1.1 No such user here" in outbox.last_error
    assert not smtp_server.messages_with_id(outbox.message_id)
    drafts = messages_in(imap, signed_in_client.mail_user, "Drafts")
    assert len(drafts) == 1 and b"destinataire inconnu" in drafts[0]
    toasts = signed_in_client.get("/envoi/toasts/").content.decode()
    assert "Le serveur d&#x27;envoi a refusé les destinataires" in toasts
    assert "Ouvrir le brouillon" in toasts


def test_bad_credentials_are_a_permanent_failure(alice, bob, dovecot, smtp_server, celery_worker, short_delay,
                                                 signed_in_client):
    dovecot.add_user(signed_in_client.mail_user.email, "changed-on-the-server")
    outbox = _queue(alice, bob.email, "mot de passe changé", in_seconds=0.1)
    wait_for(lambda: state_of(outbox) == State.FAILED)
    assert OutboxMessage.objects.get(pk=outbox.pk).failure_kind == "auth"
    assert not smtp_server.messages_with_id(outbox.message_id)


def test_filing_in_sent_fails_after_smtp_accepted_no_resend_and_reported_sent(
    alice, bob, imap, smtp_server, celery_worker, short_delay, signed_in_client, mail_settings, dovecot
):
    outbox = _queue(alice, bob.email, "classement raté", in_seconds=0.3)
    mail_settings.IMAP_PORT = free_port()  # IMAP unreachable, SMTP fine
    wait_for(lambda: state_of(outbox) == State.SENT)
    time.sleep(0.5)
    outbox.refresh_from_db()
    assert not outbox.filed
    assert "Message envoyé" in signed_in_client.get("/envoi/toasts/").content.decode()
    mail_settings.IMAP_PORT = dovecot.imap_port
    assert service.sweep()["filed"] == 1
    assert service.sweep()["filed"] == 0
    assert len(smtp_server.messages_with_id(outbox.message_id)) == 1
    with imap(signed_in_client.mail_user) as mailbox:
        assert len(mailbox.search("Sent", ["HEADER", "Message-ID", outbox.message_id])) == 1


def test_a_worker_that_died_mid_smtp_leaves_an_uncertain_message_back_in_drafts(
    alice, bob, imap, smtp_server, short_delay, settings, signed_in_client
):
    settings.OUTBOX_STALE_SECONDS = 60
    outbox = _queue(alice, bob.email, "envoi interrompu", in_seconds=0)
    long_ago = timezone.now() - timedelta(seconds=120)
    # A live worker may wait this long for the answer to the data; only past it is the worker dead.
    waiting = timedelta(seconds=settings.SMTP_FINAL_REPLY_TIMEOUT)
    # The row as a worker killed during the SMTP transaction leaves it.
    OutboxMessage.objects.filter(pk=outbox.pk).update(state=State.SENDING, claimed_at=long_ago - waiting,
                                                      smtp_started_at=long_ago, smtp_data_at=long_ago)
    assert service.sweep()["uncertain"] == 1
    assert state_of(outbox) == State.UNCERTAIN
    assert len(messages_in(imap, signed_in_client.mail_user, "Drafts")) == 1
    assert "peut-être parti" in signed_in_client.get("/envoi/toasts/").content.decode()
    assert not smtp_server.messages_with_id(outbox.message_id), "never resent silently"


def test_a_worker_that_died_before_smtp_is_safely_retried(alice, bob, smtp_server, celery_worker, short_delay,
                                                          settings):
    settings.OUTBOX_STALE_SECONDS = 60
    outbox = _queue(alice, bob.email, "mort avant smtp", in_seconds=3600)
    OutboxMessage.objects.filter(pk=outbox.pk).update(
        state=State.SENDING, claimed_at=timezone.now() - timedelta(seconds=120), smtp_started_at=None
    )
    assert service.sweep()["requeued"] == 1
    service.sweep()
    wait_for(lambda: state_of(outbox) == State.SENT)
    assert len(smtp_server.messages_with_id(outbox.message_id)) == 1
