"""Tout arrêter: every message in its undo window stopped at once, scheduled ones after a
confirmation, with Annuler's guarantees, against the real SMTP server, Dovecot and a Celery worker."""

import email
import random
import re
import time
from datetime import timedelta
from email import policy

import pytest
from django.utils import timezone

from tests.outbox.conftest import messages_in, state_of, wait_for
from webmail.compose.models import Composition
from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

LETTER = ("Madame, Monsieur,\n\nVeuillez trouver ci-dessous le compte rendu de la réunion du 12 mars. "
          "Zażółć gęślą jaźń. تقرير الاجتماع.\n") * 40


def _queue(user, to: str, subject: str, in_seconds: float, scheduled: bool = False) -> OutboxMessage:
    composition = Composition.objects.create(user=user, to=to, subject=subject, body=LETTER)
    return service.queue(composition, send_at=timezone.now() + timedelta(seconds=in_seconds), scheduled=scheduled)


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_tout_arreter_stops_two_in_their_window_then_the_scheduled_one_after_confirmation(
    compose, alice, bob, imap, smtp_server, celery_worker, short_delay, signed_in_client
):
    short_delay(20)
    compose(bob.email, subject="Tarifs 2027 — version erronée", body=LETTER)
    compose(bob.email, subject="Relance : tarifs 2027", body=LETTER)
    scheduled = _queue(alice, bob.email, "Invitation séminaire Kraków", 86400, scheduled=True)

    response = signed_in_client.post("/envoi/tout-arreter/")
    assert response.status_code == 200
    page = _text(response)
    assert "2 envois arrêtés : les messages sont de nouveau dans Brouillons." in page
    stopped = OutboxMessage.objects.filter(scheduled=False)
    assert [m.state for m in stopped] == [State.CANCELLED, State.CANCELLED]
    assert state_of(scheduled) == State.PENDING, "a scheduled message waits for the confirmation"
    assert "Invitation séminaire Kraków" in page and "Ce message est programmé. Le mettre aussi dans Brouillons ?" in page
    assert f'name="id" value="{scheduled.pk}"' in page

    form = {"id": [str(scheduled.pk)], "stopped": [str(m.pk) for m in stopped]}
    response = signed_in_client.post("/envoi/tout-arreter/programmes/", form)
    assert response.status_code == 200
    assert "2 envois arrêtés, 1 message programmé remis dans Brouillons." in _text(response)
    assert state_of(scheduled) == State.CANCELLED

    drafts = [email.message_from_bytes(raw, policy=policy.default)
              for raw in messages_in(imap, signed_in_client.mail_user, "Drafts")]
    assert sorted(d["Subject"] for d in drafts) == [
        "Invitation séminaire Kraków", "Relance : tarifs 2027", "Tarifs 2027 — version erronée"]
    assert all(d.get_content().replace("\r\n", "\n") == LETTER for d in drafts), "each back in Drafts, intact"
    # Past every deadline, nothing has left.
    OutboxMessage.objects.filter(pk=scheduled.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    service.sweep()
    time.sleep(1.5)
    for message in OutboxMessage.objects.all():
        assert not smtp_server.messages_with_id(message.message_id)
    assert messages_in(imap, bob) == []


def test_what_already_left_is_listed_as_such_with_a_link_to_sent(
    compose, alice, bob, smtp_server, celery_worker, short_delay, signed_in_client
):
    short_delay(0.5)
    compose(bob.email, subject="Déjà parti", body=LETTER)
    sent = OutboxMessage.objects.get()
    wait_for(lambda: OutboxMessage.objects.get(pk=sent.pk).filed)
    short_delay(20)
    compose(bob.email, subject="Encore là", body=LETTER)

    page = _text(signed_in_client.post("/envoi/tout-arreter/"))
    assert "1 envoi arrêté : le message est de nouveau dans Brouillons." in page
    assert "Déjà partis" in page and "Déjà parti" in page
    assert "ne peut plus être arrêté" in page
    assert f'href="/envoi/{sent.pk}/afficher/"' in page
    assert state_of(sent) == State.SENT


def test_nothing_to_stop_says_so(signed_in_client):
    page = _text(signed_in_client.post("/envoi/tout-arreter/"))
    assert "Aucun message n’attendait d’être envoyé." in page or "Aucun message n'attendait d'être envoyé." in page


def test_only_the_scheduled_messages_listed_are_stopped(alice, bob, imap, signed_in_client, mail_settings):
    listed = _queue(alice, bob.email, "Listé", 86400, scheduled=True)
    signed_in_client.post("/envoi/tout-arreter/")
    later = _queue(alice, bob.email, "Programmé après la confirmation", 86400, scheduled=True)
    response = signed_in_client.post("/envoi/tout-arreter/programmes/", {"id": [str(listed.pk)]})
    assert response.status_code == 200
    assert state_of(listed) == State.CANCELLED
    assert state_of(later) == State.PENDING, "never a message the user did not see in the list"


def test_another_users_scheduled_message_is_not_touched(alice, bob, signed_in_client, make_mail_user, mail_settings):
    from django.contrib.auth import get_user_model

    from webmail.accounts.models import MailAccount

    other = get_user_model().objects.create(username="eve@example.test")
    MailAccount.objects.create(user=other, email="eve@example.test")
    theirs = _queue(other, bob.email, "Pas à vous", 86400, scheduled=True)
    response = signed_in_client.post("/envoi/tout-arreter/programmes/", {"id": [str(theirs.pk)]})
    assert response.status_code == 200
    assert state_of(theirs) == State.PENDING


def test_get_is_refused_and_bad_ids_are_a_400(signed_in_client):
    assert signed_in_client.get("/envoi/tout-arreter/").status_code == 405
    assert signed_in_client.get("/envoi/tout-arreter/programmes/").status_code == 405
    for form in ({}, {"id": "abc"}, {"id": "9" * 40}, {"id": "1", "stopped": "x"}):
        response = signed_in_client.post("/envoi/tout-arreter/programmes/", form)
        assert response.status_code == 400, form
        assert "Choisissez les messages programmés à arrêter." in response.content.decode()


def test_imap_down_keeps_a_scheduled_message_scheduled_and_says_so(alice, bob, signed_in_client, mail_settings):
    from webmail.demo.dovecot import free_port
    from webmail.imap import gateway

    outbox = _queue(alice, bob.email, "Reste programmé", 86400, scheduled=True)
    mail_settings.IMAP_PORT = free_port()
    gateway.pool.clear()
    response = signed_in_client.post("/envoi/tout-arreter/programmes/", {"id": [str(outbox.pk)]})
    assert response.status_code == 200
    assert "Impossible d’arrêter" in _text(response) or "Impossible d'arrêter" in _text(response)
    assert state_of(outbox) == State.PENDING, "never missing from both Programmés and Drafts"


def test_tout_arreter_racing_the_workers_claim(alice, bob, imap, smtp_server, celery_worker, short_delay):
    """Three messages at a time, Tout arrêter at a random moment around their deadlines: each is either
    stopped (never delivered) or reported as gone (delivered exactly once), never both, never neither."""
    rng = random.Random(20261130)
    rounds = []
    for i in range(40):
        batch = [_queue(alice, bob.email, f"course {i}.{j}", in_seconds=0.03 + 0.02 * j) for j in range(3)]
        time.sleep(rng.uniform(0, 0.12))
        report = service.stop_sending(alice)
        rounds.append((batch, {m.pk for m in report.stopped}, {m.pk for m in report.gone}))

    all_left = [m for batch, stopped, _gone in rounds for m in batch if m.pk not in stopped]
    wait_for(lambda: OutboxMessage.objects.filter(state=State.SENT).count() == len(all_left), timeout=90)
    time.sleep(0.5)
    for batch, stopped, gone in rounds:
        for message in batch:
            copies = len(smtp_server.messages_with_id(message.message_id))
            if message.pk in stopped:
                assert (state_of(message), copies) == (State.CANCELLED, 0), "sent after Tout arrêter stopped it"
                assert message.pk not in gone
            else:
                assert (state_of(message), copies) == (State.SENT, 1), "not stopped must mean delivered once"
                assert message.pk in gone, "a message the worker claimed is reported as gone"
    assert 0 < len(all_left) < 120, "the random moments should fall on both sides of the deadlines"
