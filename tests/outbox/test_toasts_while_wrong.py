"""What the user sees while something is wrong (issue 15, part 2), read over HTTP as the page gets it:
an undo toast that always shows however many failures wait, failures folded then moved to the Boîte
d'envoi once seen, a late message that says why, a send refused for some recipients that says who
and offers to send to them again. Real SMTP refusals, a real worker, a real heartbeat."""

import hashlib
import html
import os
import re
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.outbox.conftest import messages_in, state_of, wait_for
from tests.outbox.outcomes import LETTER, refused_sends
from webmail.compose.models import Attachment, Composition
from webmail.core.tasks import HEARTBEAT_KEY, heartbeat
from webmail.demo.dovecot import free_port
from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.django_db(transaction=True)]


def _text(response) -> str:
    """What a person reads: the text without the tags."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _recent(client) -> str:
    """The Boîte d'envoi's "Envois récents à vérifier" section, as text."""
    page = client.get("/envoi/").content.decode()
    section = re.search(r'<section id="recent-outcomes".*?</section>', page, re.S)
    assert section, "the Boîte d'envoi lists no recent failure"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", section.group())).split())


def _toasts(client) -> str:
    return _text(client.get("/envoi/toasts/"))


def _toast_html(client) -> str:
    return client.get("/envoi/toasts/").content.decode()


@pytest.mark.celery
def test_ten_failures_fold_into_one_toast_and_a_new_send_still_gets_its_undo_toast(
    signed_in_client, alice, bob, compose, celery_worker, short_delay
):
    failed = refused_sends(alice, 10)
    short_delay(20)
    compose(f"{bob.email}, comptabilite@example.test", subject="Devis de novembre — version signée", body=LETTER)
    sending = OutboxMessage.objects.get(state=State.PENDING)

    page = _toast_html(signed_in_client)
    text = _toasts(signed_in_client)
    undo = re.search(rf'data-outbox-id="{sending.pk}" data-remaining-ms="(\d+)"', page)
    assert undo, f"no undo toast with a countdown in milliseconds for the new send: {text}"
    assert 15_000 < int(undo.group(1)) <= 20_000
    assert f'action="/envoi/{sending.pk}/annuler/"' in page and "Envoi dans" in text
    # The two newest failures each have a toast; the eight older ones fold into one.
    assert page.count('class="toast toast-failed"') == 2
    for row in failed[-2:]:
        assert f'data-outbox-id="{row.pk}"' in page
    assert "8 autres envois ont échoué Voir" in text
    assert 'href="/envoi/#recent-outcomes"' in page

    # × on the folded toast closes the eight; the Boîte d'envoi still lists all ten, with their reason.
    folded = re.findall(r'name="id" value="(\d+)"', page)
    assert sorted(map(int, folded)) == sorted(r.pk for r in failed[:8])
    response = signed_in_client.post("/envoi/fermer/", {"id": folded, "next": "/mail/"})
    assert response.status_code == 302 and response.url == "/mail/"
    text = _toasts(signed_in_client)
    assert "autres envois" not in text and "Envoi dans" in text and text.count("Ouvrir le brouillon") == 2

    outbox_page = _text(signed_in_client.get("/envoi/"))
    assert "Devis de novembre — version signée" in outbox_page
    recent = _recent(signed_in_client)
    assert recent.startswith("Envois récents à vérifier")
    assert recent.count("Le serveur d'envoi a refusé les destinataires : « jerzy.brzeczyszczykiewicz.") == 10
    assert "550 5.1.1 No such user here" in recent


def test_closing_the_folded_toast_needs_a_post_and_real_ids(signed_in_client):
    assert signed_in_client.get("/envoi/fermer/").status_code == 405
    assert signed_in_client.post("/envoi/fermer/", {"id": ["12; DROP TABLE"]}).status_code == 400
    assert signed_in_client.post("/envoi/fermer/", {}).status_code == 400


@pytest.mark.celery
def test_a_failure_leaves_the_toasts_a_while_after_it_was_seen_and_stays_in_the_outbox(
    signed_in_client, alice, celery_worker, short_delay, settings, client
):
    settings.OUTBOX_OUTCOME_TOAST_SECONDS = 2
    [failure] = refused_sends(alice, 1)
    time.sleep(2.5)
    # Never shown yet: it waits for the user, however long.
    assert "Le serveur d'envoi a refusé les destinataires" in _toasts(signed_in_client)
    time.sleep(2.5)
    assert "refusé" not in _toasts(signed_in_client), "a failure seen a while ago still covers the page"

    # Signing in again does not bring it back.
    signed_in_client.post(reverse("accounts:logout"))
    user = signed_in_client.mail_user
    assert signed_in_client.post("/compte/connexion/", {"email": user.email, "password": user.password}).status_code == 302
    assert "refusé" not in _text(signed_in_client.get("/mail/"))

    page = signed_in_client.get("/envoi/").content.decode()
    recent = _recent(signed_in_client)
    assert "Planning du chantier — semaine 48" in recent
    assert ("Le serveur d'envoi a refusé les destinataires : « jerzy.brzeczyszczykiewicz.0@example.test: "
            "550 5.1.1 No such user here") in recent
    assert f'href="/ecrire/{failure.composition_id}/"' in page and "Ouvrir le brouillon" in recent


def test_a_message_past_its_time_with_no_worker_says_the_sending_service_is_stopped(
    signed_in_client, bob, compose, short_delay, request
):
    compose(f"{bob.email}, direction@example.test", subject="Ordre du jour — comité de pilotage", body=LETTER)
    message = OutboxMessage.objects.get()
    time.sleep(4.5)  # the 1 s window, then longer than a worker ever takes to claim it

    text = _toasts(signed_in_client)
    assert "Le service d'envoi est arrêté, le message partira à son retour." in text
    assert "Envoi dans" not in text
    assert f'action="/envoi/{message.pk}/annuler/"' in _toast_html(signed_in_client), "Annuler stays"
    listing = _text(signed_in_client.get("/envoi/"))
    assert "Le service d'envoi est arrêté, le message partira à son retour." in listing
    assert "part dans 0" not in listing and "Part maintenant" not in listing

    request.getfixturevalue("celery_worker")  # the service is back: the message leaves
    wait_for(lambda: state_of(message) == State.SENT)
    assert "Message envoyé" in _toasts(signed_in_client)


@pytest.fixture
def silent_smtp(mail_settings):
    """An SMTP server that accepts connections and never says a word (overloaded, or a firewall
    that holds connections): the worker waits for its greeting until MAIL_TIMEOUT."""
    listener = socket.create_server(("127.0.0.1", free_port()))
    held: list[socket.socket] = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    mail_settings.SMTP_PORT = listener.getsockname()[1]
    mail_settings.MAIL_TIMEOUT = 12
    yield
    listener.close()
    for connection in held:
        connection.close()


@pytest.mark.celery
def test_a_late_message_with_a_live_worker_says_it_waits_for_the_server(
    signed_in_client, bob, compose, silent_smtp, celery_worker, short_delay
):
    heartbeat.delay()  # beat's heartbeat, run by the real worker: the server knows a worker is alive
    wait_for(lambda: cache.get(HEARTBEAT_KEY))
    compose(bob.email, subject="Relevé de compteurs d'octobre", body=LETTER)
    message = OutboxMessage.objects.get()
    wait_for(lambda: state_of(message) == State.SENDING)
    time.sleep(4)
    text = _toasts(signed_in_client)
    assert "En attente du serveur d'envoi…" in text, text
    assert "Envoi dans" not in text
    assert "En attente du serveur d'envoi…" in _text(signed_in_client.get("/envoi/"))


def _pdf(size: int) -> bytes:
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + os.urandom(size) + b"\n%%EOF\n"


@pytest.mark.celery
def test_a_send_refused_for_some_recipients_says_who_and_why_and_offers_to_send_to_them_again(
    signed_in_client, alice, bob, imap, celery_worker, short_delay
):
    plan = _pdf(600 * 1024)
    composition = Composition.objects.create(
        user=alice, to=f'"Bob Martin" <{bob.email}>, jerzy.brzeczyszczykiewicz@example.test',
        cc='"Zofia Wiśniewska" <zofia.nieznana@example.test>', bcc="audit.chantier@example.test",
        subject="Re: Plans du lot électricité — indice C", body=LETTER,
        in_reply_to="<plans-indice-c@bureau-etudes.example>",
        references="<plans-indice-b@bureau-etudes.example> <plans-indice-c@bureau-etudes.example>",
    )
    Attachment.objects.create(composition=composition, filename="Plan électricité — indice C.pdf",
                              content_type="application/pdf", size=len(plan), data=plan)
    sent = service.queue(composition, send_at=timezone.now() + timedelta(seconds=0.1))
    wait_for(lambda: state_of(sent) == State.SENT)
    wait_for(lambda: messages_in(imap, bob))  # it left: Bob has it

    text = _toasts(signed_in_client)
    assert "Message envoyé, mais le serveur d'envoi a refusé 3 destinataires :" in text
    assert "jerzy.brzeczyszczykiewicz@example.test (« 550 5.1.1 No such user here »)" in text
    assert "zofia.nieznana@example.test (« 550 5.1.1 No such user here »)" in text
    assert "audit.chantier@example.test" in text and bob.email not in text.split("refusé", 1)[1]
    assert "Renvoyer à ces destinataires…" in text
    assert "Renvoyer à ces destinataires…" in _text(signed_in_client.get("/envoi/"))

    assert signed_in_client.get(f"/envoi/{sent.pk}/renvoyer/").status_code == 405
    response = signed_in_client.post(f"/envoi/{sent.pk}/renvoyer/")
    assert response.status_code == 302 and re.fullmatch(r"/ecrire/[0-9a-f-]+/", response.url)
    copy = Composition.objects.get(pk=response.url.split("/")[2])
    assert copy.to == "jerzy.brzeczyszczykiewicz@example.test"
    assert copy.cc == '"Zofia Wiśniewska" <zofia.nieznana@example.test>'
    assert copy.bcc == "audit.chantier@example.test"
    assert copy.subject == "Re: Plans du lot électricité — indice C"
    assert copy.body == LETTER.rstrip("\n")
    assert copy.in_reply_to == "<plans-indice-c@bureau-etudes.example>"
    assert copy.references == "<plans-indice-b@bureau-etudes.example> <plans-indice-c@bureau-etudes.example>"
    [attachment] = copy.attachments.all()
    assert attachment.filename == "Plan électricité — indice C.pdf" and attachment.content_type == "application/pdf"
    assert hashlib.sha256(bytes(attachment.data)).digest() == hashlib.sha256(plan).digest()
    page = signed_in_client.get(response.url).content.decode()
    assert 'value="jerzy.brzeczyszczykiewicz@example.test"' in page
    assert "Plan électricité — indice C.pdf" in html.unescape(page)
    # Acted upon: its toast is closed, the Boîte d'envoi keeps it.
    assert "refusé" not in _toasts(signed_in_client)

    # Someone else's message, or one with nobody refused: nothing to send again.
    other = Client()
    from django.contrib.auth import get_user_model

    other.force_login(get_user_model().objects.create_user("mallory@example.test"))
    assert other.post(f"/envoi/{sent.pk}/renvoyer/").status_code == 404
