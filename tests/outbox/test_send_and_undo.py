"""Envoyer, the cancel window and Annuler, with the real SMTP server, Dovecot, Redis and a Celery worker."""

import email
import time
from email import policy

import pytest
from django.utils import timezone

from tests.helpers import preferences_data
from tests.outbox.conftest import messages_in, state_of, wait_for
from webmail.compose.models import Composition
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_envoyer_returns_at_once_and_the_message_arrives_after_the_delay(
    compose, bob, imap, smtp_server, celery_worker, short_delay, signed_in_client
):
    short_delay(1.5)
    started = time.monotonic()
    _, response = compose(bob.email, subject="Réunion de jeudi", body="À jeudi, 10 h.")
    assert response.status_code == 302
    assert time.monotonic() - started < 1.5, "the page must not wait for SMTP"
    outbox = OutboxMessage.objects.get()
    assert outbox.state == State.PENDING
    assert not smtp_server.messages_with_id(outbox.message_id), "sent before the deadline"

    wait_for(lambda: state_of(outbox) == State.SENT)
    outbox.refresh_from_db()
    assert outbox.sent_at >= outbox.deadline
    assert len(smtp_server.messages_with_id(outbox.message_id)) == 1

    received = messages_in(imap, bob)
    assert len(received) == 1
    parsed = email.message_from_bytes(received[0], policy=policy.default)
    assert parsed["Subject"] == "Réunion de jeudi"
    assert parsed.get_content().strip() == "À jeudi, 10 h."
    assert parsed["Bcc"] is None

    wait_for(lambda: OutboxMessage.objects.get(pk=outbox.pk).filed)
    with imap(signed_in_client.mail_user) as mailbox:
        sent = mailbox.search("Sent", ["HEADER", "Message-ID", outbox.message_id])
        assert len(sent) == 1
        assert mailbox.search("Sent", ["SEEN"]) == sent
        assert mailbox.search("Drafts", ["ALL"]) == [], "the draft it came from is removed"
    assert not Composition.objects.exists()


def test_the_toast_counts_down_then_says_sent(compose, bob, celery_worker, short_delay, signed_in_client):
    short_delay(2)
    _, response = compose(bob.email)
    page = signed_in_client.get(response.url, follow=True).content.decode()
    assert 'role="status"' in page
    assert "Envoi dans 2 s" in page
    assert '<button type="submit" class="toast-action" data-undo>Annuler</button>' in page
    assert "Message envoyé" not in page, "never shown as sent before the SMTP server accepted it"
    outbox = OutboxMessage.objects.get()
    wait_for(lambda: state_of(outbox) == State.SENT)
    toasts = signed_in_client.get("/envoi/toasts/").content.decode()
    assert "Message envoyé" in toasts
    assert "Afficher le message" in toasts
    assert "Annuler" not in toasts


def test_annuler_in_time_means_never_delivered_and_the_draft_reopens_intact(
    compose, bob, imap, smtp_server, celery_worker, short_delay, signed_in_client
):
    short_delay(2)
    edit_url, _ = compose(f"Bob <{bob.email}>", subject="Devis", body="Ci-joint le devis.", cc="", send=False)
    signed_in_client.post(edit_url.replace("/ecrire/", "/ecrire/").rstrip("/") + "/pieces-jointes/",
                          {"files": _file("devis.pdf", b"%PDF-1.4 devis")})
    signed_in_client.post(edit_url, {"to": f"Bob <{bob.email}>", "cc": "", "bcc": "", "subject": "Devis",
                                     "body": "Ci-joint le devis.", "action": "send"})
    outbox = OutboxMessage.objects.get()

    response = signed_in_client.post(f"/envoi/{outbox.pk}/annuler/")
    assert response.status_code == 302
    assert response.url == edit_url
    assert state_of(outbox) == State.CANCELLED

    page = signed_in_client.get(edit_url).content.decode()
    assert f"Bob &lt;{bob.email}&gt;" in page
    assert 'value="Devis"' in page
    assert "Ci-joint le devis." in page
    assert "devis.pdf" in page

    time.sleep(3)
    assert not smtp_server.messages_with_id(outbox.message_id)
    assert messages_in(imap, bob) == []
    drafts = messages_in(imap, signed_in_client.mail_user, "Drafts")
    assert len(drafts) == 1
    draft = email.message_from_bytes(drafts[0], policy=policy.default)
    assert draft["Subject"] == "Devis"
    assert [part.get_filename() for part in draft.iter_attachments()] == ["devis.pdf"]


def test_annuler_after_it_left_says_too_late_with_a_link_to_sent(compose, bob, celery_worker, short_delay,
                                                                  signed_in_client):
    short_delay(0.2)
    compose(bob.email)
    outbox = OutboxMessage.objects.get()
    wait_for(lambda: OutboxMessage.objects.get(pk=outbox.pk).filed)
    response = signed_in_client.post(f"/envoi/{outbox.pk}/annuler/")
    assert response.status_code == 409
    html = response.content.decode()
    assert "Trop tard" in html
    assert f"/envoi/{outbox.pk}/afficher/" in html


def test_annuler_edit_and_send_again_sends_the_edited_version_once(
    compose, bob, imap, smtp_server, celery_worker, short_delay, signed_in_client
):
    short_delay(1.5)
    edit_url, _ = compose(bob.email, subject="Version 1", body="premier jet")
    first = OutboxMessage.objects.get()
    assert signed_in_client.post(f"/envoi/{first.pk}/annuler/").status_code == 302
    signed_in_client.post(edit_url, {"to": bob.email, "cc": "", "bcc": "", "subject": "Version 2",
                                     "body": "texte corrigé", "action": "send"})
    second = OutboxMessage.objects.exclude(pk=first.pk).get()
    wait_for(lambda: OutboxMessage.objects.get(pk=second.pk).filed)
    time.sleep(0.5)
    subjects = [email.message_from_bytes(raw, policy=policy.default)["Subject"] for raw in messages_in(imap, bob)]
    assert subjects == ["Version 2"]
    assert state_of(first) == State.CANCELLED
    assert not smtp_server.messages_with_id(first.message_id)


def test_reply_has_threading_headers_and_flags_the_original_answered(
    compose, bob, imap, celery_worker, short_delay, signed_in_client
):
    short_delay(0.2)
    from django.core.mail import EmailMessage

    original = EmailMessage("Question sur la livraison", "Quand livrez-vous ?", f"Bob <{bob.email}>",
                            [signed_in_client.mail_user.email],
                            headers={"Message-ID": "<q1@example.test>", "References": "<q0@example.test>"})
    with imap(signed_in_client.mail_user) as mailbox:
        mailbox.append("INBOX", original.message().as_bytes())
        uid = mailbox.search("INBOX", ["ALL"])[0]
    response = signed_in_client.get(f"/ecrire/?reply={uid}&folder=INBOX")
    page = signed_in_client.get(response.url).content.decode()
    assert 'value="Re : Question sur la livraison"' in page
    assert bob.email in page
    assert "&gt; Quand livrez-vous ?" in page
    signed_in_client.post(response.url, {"to": bob.email, "cc": "", "bcc": "",
                                         "subject": "Re : Question sur la livraison",
                                         "body": "Demain.", "action": "send"})
    outbox = OutboxMessage.objects.get()
    wait_for(lambda: OutboxMessage.objects.get(pk=outbox.pk).filed)
    reply = email.message_from_bytes(messages_in(imap, bob)[0], policy=policy.default)
    assert reply["In-Reply-To"] == "<q1@example.test>"
    assert reply["References"] == "<q0@example.test> <q1@example.test>"
    with imap(signed_in_client.mail_user) as mailbox:
        assert mailbox.search("INBOX", ["ANSWERED"]) == [uid]


def test_invalid_addresses_are_pointed_out_and_nothing_is_lost(compose, signed_in_client, short_delay):
    edit_url, response = compose("bob@exemple.fr, pas-une-adresse; Marie <marie@", subject="Important",
                                 body="Texte précieux")
    assert response.status_code == 400
    html = response.content.decode()
    assert "pas-une-adresse" in html and "Marie &lt;marie@" in html
    assert "Ces adresses ne sont pas valides" in html
    assert "Texte précieux" in html
    assert not OutboxMessage.objects.exists()


def test_no_recipient_is_refused(compose, short_delay):
    _, response = compose("", subject="Sans destinataire")
    assert response.status_code == 400
    assert "Ajoutez au moins un destinataire." in response.content.decode()
    assert not OutboxMessage.objects.exists()


def test_the_broker_carries_only_the_outbox_id(compose, bob, short_delay, isolated_redis, signed_in_client):
    import base64
    import json

    import redis

    short_delay(30)
    compose(bob.email, subject="Sujet confidentiel", body="Corps confidentiel")
    queued = redis.Redis.from_url(isolated_redis).lrange("celery", 0, -1)
    assert len(queued) == 1, "the task should be waiting in Redis"
    envelope = queued[0]
    for secret in (b"confidentiel", signed_in_client.mail_user.password.encode(), bob.email.encode()):
        assert secret not in envelope
    args, kwargs, _ = json.loads(base64.b64decode(json.loads(envelope)["body"]))
    assert (args, kwargs) == ([OutboxMessage.objects.get().pk], {})


def _file(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_get_is_refused_on_every_mutating_view(signed_in_client, short_delay):
    response = signed_in_client.get("/ecrire/")
    edit_url = response.url
    for url in (f"{edit_url}enregistrer/", f"{edit_url}pieces-jointes/", f"{edit_url}supprimer/",
                "/envoi/1/annuler/", "/envoi/1/fermer/"):
        assert signed_in_client.get(url).status_code == 405, url


def test_deadline_is_stored_from_the_users_setting(signed_in_client, bob, settings):
    settings.OUTBOX_DELAY_OVERRIDE = None
    signed_in_client.post("/parametres/", preferences_data(undo_delay="30"))
    edit_url = signed_in_client.get("/ecrire/").url
    before = timezone.now()
    signed_in_client.post(edit_url, {"to": bob.email, "cc": "", "bcc": "", "subject": "x", "body": "y",
                                     "action": "send"})
    outbox = OutboxMessage.objects.get()
    assert 29 <= (outbox.deadline - before).total_seconds() <= 31


def test_view_message_opens_the_copy_in_sent(compose, bob, celery_worker, short_delay, signed_in_client):
    short_delay(0.2)
    compose(bob.email, subject="À retrouver dans Envoyés")
    outbox = OutboxMessage.objects.get()
    wait_for(lambda: OutboxMessage.objects.get(pk=outbox.pk).filed)
    response = signed_in_client.get(f"/envoi/{outbox.pk}/afficher/", follow=True)
    assert response.status_code == 200
    assert "À retrouver dans Envoyés" in response.content.decode()


def test_a_double_click_on_envoyer_queues_the_message_once(signed_in_client, bob, short_delay):
    from webmail.outbox import service

    edit_url = signed_in_client.get("/ecrire/").url
    fields = {"to": bob.email, "cc": "", "bcc": "", "subject": "Une seule fois", "body": "Bonjour Bob, à demain.",
              "action": "send", "confirmed": "1"}
    assert signed_in_client.post(edit_url, fields).status_code == 302
    assert signed_in_client.post(edit_url, fields).status_code == 302
    assert OutboxMessage.objects.count() == 1
    with pytest.raises(service.AlreadyInOutbox):
        service.queue(Composition.objects.get())
