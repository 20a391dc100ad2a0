"""Envoyer un correctif: to exactly the original recipients (To, Cc, Bcc kept hidden), threaded,
quoted, from the same identity; against the real SMTP server, Dovecot and a Celery worker."""

import email
from email import policy
from email.utils import getaddresses

import pytest

from tests.outbox.conftest import messages_in, state_of, wait_for
from webmail.compose.models import Composition
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

TARIFS = ("Bonjour à tous,\n\nVoici les tarifs 2027 : 1 250 € HT par jour, 980 € pour les associations.\n"
          "Zażółć gęślą jaźń — السلام عليكم.\n") * 30


@pytest.fixture
def people(make_mail_user):
    return {name: make_mail_user(name) for name in ("bob", "carol", "dave")}


def _parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def _send_original(compose, people, signed_in_client, short_delay):
    short_delay(0.5)
    compose(f"Bob Martin <{people['bob'].email}>", subject="Tarifs 2027", body=TARIFS,
            cc=f"Carol Nowak <{people['carol'].email}>", bcc=people["dave"].email)
    original = OutboxMessage.objects.get()
    wait_for(lambda: OutboxMessage.objects.get(pk=original.pk).filed)
    original.refresh_from_db()
    return original


def test_correction_from_sent_reaches_exactly_the_original_recipients_bcc_hidden_and_threaded(
    compose, people, imap, smtp_server, celery_worker, short_delay, signed_in_client
):
    original = _send_original(compose, people, signed_in_client, short_delay)
    page = signed_in_client.get(f"/mail/{original.sent_uid}/?folder={original.sent_folder}").content.decode()
    assert "Envoyer un correctif" in page and "seulement à certains destinataires" in page

    response = signed_in_client.post("/ecrire/correctif/", {"folder": original.sent_folder,
                                                           "uid": original.sent_uid})
    assert response.status_code == 302
    correction = Composition.objects.get()
    assert correction.subject == "Correctif : Tarifs 2027"
    assert [a[1] for a in getaddresses([correction.to])] == [people["bob"].email]
    assert [a[1] for a in getaddresses([correction.cc])] == [people["carol"].email]
    assert correction.bcc == people["dave"].email
    assert correction.in_reply_to == original.message_id
    assert correction.references.split()[-1] == original.message_id
    assert "> Voici les tarifs 2027" in correction.quote
    assert correction.identity is not None and correction.identity.email == signed_in_client.mail_user.email.lower()

    # The user writes the correction and sends it.
    edit = signed_in_client.post(response.url, {
        "to": correction.to, "cc": correction.cc, "bcc": correction.bcc, "subject": correction.subject,
        "body": "Correction : le tarif associatif est de 890 €, pas 980 €. Toutes mes excuses.", "action": "send",
    })
    assert edit.status_code == 302, edit.content[:500]
    sent = OutboxMessage.objects.exclude(pk=original.pk).get()
    wait_for(lambda: state_of(sent) == State.SENT)
    assert sorted(sent.recipients) == sorted(p.email for p in people.values())
    for name, person in people.items():
        received = [_parsed(raw) for raw in messages_in(imap, person)]
        corrections = [m for m in received if m["Subject"] == "Correctif : Tarifs 2027"]
        assert len(corrections) == 1, name
        message = corrections[0]
        assert message["In-Reply-To"] == original.message_id
        assert original.message_id in message["References"]
        assert message["Bcc"] is None, name
        if name != "dave":  # his own copy names him in its delivery headers
            assert people["dave"].email not in message.as_string(), "Bcc revealed"
        assert "890 €" in message.get_body(("plain",)).get_content()


def test_correction_from_the_sent_toast_uses_the_envelope_for_bcc(
    compose, people, smtp_server, celery_worker, short_delay, signed_in_client
):
    short_delay(0.5)
    compose(people["bob"].email, subject="Ordre du jour", body=TARIFS, bcc=people["dave"].email)
    original = OutboxMessage.objects.get()
    wait_for(lambda: state_of(original) == State.SENT)
    toasts = signed_in_client.get("/envoi/toasts/").content.decode()
    assert f'action="/envoi/{original.pk}/correctif/"' in toasts and "Envoyer un correctif" in toasts
    response = signed_in_client.post(f"/envoi/{original.pk}/correctif/")
    assert response.status_code == 302
    correction = Composition.objects.exclude(sends__isnull=False).get()
    assert correction.to == people["bob"].email and correction.cc == ""
    assert correction.bcc == people["dave"].email, "Bcc stays in Bcc"
    assert correction.subject == "Correctif : Ordre du jour"


def test_only_to_some_recipients(compose, people, smtp_server, celery_worker, short_delay, signed_in_client):
    original = _send_original(compose, people, signed_in_client, short_delay)
    query = {"folder": original.sent_folder, "uid": original.sent_uid}
    page = signed_in_client.get("/ecrire/correctif/destinataires/", query).content.decode()
    for person in people.values():
        assert f'name="only" value="{person.email}" checked' in page
    assert "Cci (les autres ne les voient pas)" in page

    response = signed_in_client.post("/ecrire/correctif/", {**query, "choosing": "1",
                                                           "only": [people["carol"].email, people["dave"].email]})
    assert response.status_code == 302
    correction = Composition.objects.get()
    assert correction.to == "" and people["carol"].email in correction.cc and correction.bcc == people["dave"].email
    # Nobody ticked: a clear 400, no composition.
    response = signed_in_client.post("/ecrire/correctif/", {**query, "choosing": "1"})
    assert response.status_code == 400
    assert "Choisissez au moins un destinataire pour le correctif." in response.content.decode()
    # Ticking an address that was not a recipient adds nobody.
    signed_in_client.post("/ecrire/correctif/", {**query, "choosing": "1",
                                                 "only": ["intrus@example.test", people["bob"].email]})
    newest = Composition.objects.order_by("-created_at").first()
    assert "intrus" not in newest.to + newest.cc + newest.bcc


def test_bad_references_are_4xx_and_get_is_refused(signed_in_client, alice, mail_settings):
    assert signed_in_client.get("/ecrire/correctif/").status_code == 405
    assert signed_in_client.post("/ecrire/correctif/", {"folder": "Sent", "uid": "abc"}).status_code == 400
    assert signed_in_client.post("/ecrire/correctif/", {"folder": "Sent", "uid": "424242"}).status_code == 404
    assert signed_in_client.post("/envoi/999999/correctif/").status_code == 404
    assert signed_in_client.get("/envoi/1/correctif/").status_code == 405
    assert not Composition.objects.exists()
