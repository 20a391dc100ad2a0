"""Exactly once when the network lies: a real SMTP server (tests/faulty_smtp.py) that answers the
final "." late, resets the connection right after it, answers 421, or closes without QUIT.

Once the message's data has gone out, only the server's answer says whether it took the message.
No answer (a timeout, a reset) is an uncertain outcome: never retried silently, never reported as
cancelled. A refusal (4xx) or a failure before the data is safe to retry.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests import faulty_smtp
from tests.outbox.conftest import state_of, wait_for
from webmail.compose.models import Composition
from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def faulty(mail_settings):
    """Point the webmail at a misbehaving server; commands time out after 1 s, the final reply after 4 s."""
    server = faulty_smtp.FaultySMTPServer().start()
    mail_settings.SMTP_PORT = server.port
    mail_settings.MAIL_TIMEOUT = 1
    mail_settings.SMTP_FINAL_REPLY_TIMEOUT = 4
    yield server
    server.stop()


def _send(compose, subject: str) -> OutboxMessage:
    _, response = compose("destinataire@example.test", subject=subject, body="Texte.\n" * 40, confirmed="1")
    assert response.status_code == 302
    return OutboxMessage.objects.get()


def test_a_slow_final_answer_is_waited_for_and_the_message_leaves_once(
    faulty, compose, celery_worker, short_delay, signed_in_client
):
    """The case that once sent three copies: the answer to "." comes after the command timeout."""
    faulty.script, faulty.delay = [faulty_smtp.SLOW], 2.5
    short_delay(0.2)
    outbox = _send(compose, "Serveur lent")
    wait_for(lambda: OutboxMessage.objects.filter(pk=outbox.pk, smtp_data_at__isnull=False).exists())
    time.sleep(1.2)  # past the command timeout: the user is told the server is slow
    toasts = signed_in_client.get("/envoi/toasts/").content.decode()
    assert "tarde à répondre" in toasts, toasts
    assert "Annuler" not in toasts, "the data has left: it can no longer be cancelled"
    wait_for(lambda: state_of(outbox) == State.SENT, timeout=15)
    assert faulty.copies(outbox.message_id) == 1
    assert faulty.transactions == 1


def test_no_final_answer_in_time_is_uncertain_never_retried_and_annuler_does_not_say_cancelled(
    faulty, compose, celery_worker, short_delay, signed_in_client, imap
):
    faulty.script, faulty.delay = [faulty_smtp.SLOW], 6
    short_delay(0.2)
    outbox = _send(compose, "Serveur muet")
    wait_for(lambda: state_of(outbox) == State.UNCERTAIN, timeout=20)
    time.sleep(3)  # a retry would have come by now (retry base 1 s)
    assert faulty.transactions == 1, "never retried after the data went out"
    assert faulty.copies(outbox.message_id) == 1

    response = signed_in_client.post(f"/envoi/{outbox.pk}/annuler/")
    assert response.status_code == 409
    assert "Envoi annulé" not in response.content.decode()
    assert state_of(outbox) == State.UNCERTAIN
    toasts = signed_in_client.get("/envoi/toasts/").content.decode()
    assert "peut-être parti" in toasts
    with imap(signed_in_client.mail_user) as mailbox:
        assert len(mailbox.search("Drafts", ["ALL"])) == 1, "back in Drafts, for the user to decide"


def test_a_connection_reset_right_after_the_final_dot_is_uncertain(faulty, compose, celery_worker, short_delay):
    faulty.script = [faulty_smtp.RESET_AFTER_DATA, faulty_smtp.ACCEPT]
    short_delay(0.2)
    outbox = _send(compose, "Connexion coupée")
    wait_for(lambda: state_of(outbox) == State.UNCERTAIN, timeout=15)
    time.sleep(2)
    assert faulty.transactions == 1
    assert faulty.copies(outbox.message_id) == 1


def test_a_421_after_the_final_dot_is_a_refusal_retried_once_and_sent_once(
    faulty, compose, celery_worker, short_delay
):
    faulty.script = [faulty_smtp.REFUSE_421, faulty_smtp.ACCEPT]
    short_delay(0.2)
    outbox = _send(compose, "Réessayer plus tard")
    wait_for(lambda: state_of(outbox) == State.SENT, timeout=20)
    assert faulty.transactions == 2
    assert faulty.copies(outbox.message_id) == 1


def test_a_server_that_accepts_then_closes_without_quit_has_sent_it(faulty, compose, celery_worker, short_delay):
    faulty.script = [faulty_smtp.CLOSE_AFTER_250]
    short_delay(0.2)
    outbox = _send(compose, "Fermé sans au revoir")
    wait_for(lambda: state_of(outbox) == State.SENT, timeout=15)
    time.sleep(2)
    assert faulty.transactions == 1
    assert faulty.copies(outbox.message_id) == 1


def test_a_reset_before_the_data_is_retried_safely(faulty, compose, celery_worker, short_delay):
    faulty.script = [faulty_smtp.RESET_BEFORE_DATA, faulty_smtp.ACCEPT]
    short_delay(0.2)
    outbox = _send(compose, "Avant les données")
    wait_for(lambda: state_of(outbox) == State.SENT, timeout=20)
    assert faulty.transactions == 2
    assert faulty.copies(outbox.message_id) == 1


def _queued(user, subject: str) -> OutboxMessage:
    composition = Composition.objects.create(user=user, to="destinataire@example.test", subject=subject, body="x")
    return service.queue(composition, send_at=timezone.now())


def _alice(signed_in_client):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=signed_in_client.mail_user.email.lower())


def test_a_worker_taken_for_dead_before_the_data_does_not_send_it_after_all(
    faulty, signed_in_client, short_delay, settings
):
    """The sweeper hands a stale row to another worker; the first one, only slow, wakes up before
    its data and must step aside: one copy, never two."""
    faulty.script, faulty.delay = [faulty_smtp.SLOW_354, faulty_smtp.ACCEPT], 2
    settings.MAIL_TIMEOUT = 4
    outbox = _queued(_alice(signed_in_client), "Ouvrier lent")
    results = []

    def first_worker():
        try:
            results.append(service.deliver(outbox.pk))
        finally:
            connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    wait_for(lambda: faulty.transactions == 1)  # it is waiting for the 354
    settings.OUTBOX_STALE_SECONDS = 0
    OutboxMessage.objects.filter(pk=outbox.pk).update(claimed_at=timezone.now() - timedelta(seconds=1))
    assert service.sweep()["requeued"] == 1
    assert service.deliver(outbox.pk) == "sent"  # the second worker
    worker.join(timeout=10)
    assert results == ["claim_lost"]
    assert state_of(outbox) == State.SENT
    assert faulty.copies(outbox.message_id) == 1


def test_the_sweeper_leaves_a_worker_waiting_for_the_answer_alone(signed_in_client, settings):
    """Claimed long ago, data sent, the answer not yet in: within SMTP_FINAL_REPLY_TIMEOUT the
    worker is waiting, not dead."""
    settings.OUTBOX_STALE_SECONDS, settings.SMTP_FINAL_REPLY_TIMEOUT = 60, 600
    outbox = _queued(_alice(signed_in_client), "Réponse attendue")
    now = timezone.now()
    OutboxMessage.objects.filter(pk=outbox.pk).update(
        state=State.SENDING, claimed_at=now - timedelta(seconds=120), smtp_started_at=now - timedelta(seconds=119),
        smtp_data_at=now - timedelta(seconds=100),
    )
    result = service.sweep()
    assert (result["uncertain"], result["requeued"]) == (0, 0), result
    assert state_of(outbox) == State.SENDING


def test_a_reset_while_the_data_is_being_sent_is_retried_safely(faulty, signed_in_client, celery_worker, short_delay):
    """12 MB cannot all sit in the kernel's buffers: the reset comes before the final "." left."""
    faulty.script = [faulty_smtp.RESET_DURING_DATA, faulty_smtp.ACCEPT]
    composition = Composition.objects.create(user=_alice(signed_in_client), to="destinataire@example.test",
                                             subject="Gros rapport", body=("Ligne de rapport détaillé. " * 30 + "\n") * 15_000)
    outbox = service.queue(composition, send_at=timezone.now())
    wait_for(lambda: state_of(outbox) == State.SENT, timeout=30)
    assert faulty.transactions == 2
    assert faulty.copies(outbox.message_id) == 1
