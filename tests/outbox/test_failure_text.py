"""A refused send says why in the user's language, with the server's own words as detail (issue 14).

Each failure path of the outbox is made real: an SMTP server that refuses the recipient (550), a
server with a size limit that refuses the message (552), a password changed on the server, a
stored password no key can read, a server down until the attempts run out, a worker that died in
the middle of the SMTP transaction. The toast is read over HTTP, in French and in English.
"""

import html
import os
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.outbox.conftest import messages_in, state_of, wait_for
from webmail.compose.models import Composition
from webmail.demo.dovecot import free_port
from webmail.demo.smtp import SubmissionServer
from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

# What the toasts said before: Python's or smtplib's English, never meant for a person.
RAW_ENGLISH = ("server answered", "recipients refused", "authentication refused", "connection failed",
               "stored credentials cannot be read", "SMTP", "Error", "Exception")

LETTER = ("Madame, Monsieur,\n\nVeuillez trouver ci-joint les photos du chantier de la rue Émile-Zola, "
          "prises ce matin avant le coulage de la dalle.\n\nJe reste à votre disposition.\n\nBien cordialement,\n"
          "Zoé Wiśniewska\n")


def _toast_text(client, language: str = "fr") -> str:
    page = client.get("/envoi/toasts/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    return " ".join(html.unescape(page).split())


def _assert_no_raw_english(text: str) -> None:
    """Outside the server's own words (quoted), nothing is English from the code."""
    ours = re.sub(r"«[^»]*»|“[^”]*”", "", text)
    for phrase in RAW_ENGLISH:
        assert phrase not in ours, f"raw exception text {phrase!r} in the toast: {text}"


def _queue(user, to: str, subject: str) -> OutboxMessage:
    composition = Composition.objects.create(user=user, to=to, subject=subject, body=LETTER)
    return service.queue(composition, send_at=timezone.now() + timedelta(seconds=0.1))


@pytest.fixture
def own_smtp(dovecot, mail_settings):
    servers = []

    def start(**options) -> SubmissionServer:
        server = SubmissionServer(dovecot, port=free_port(), **options).start()
        mail_settings.SMTP_PORT = server.port
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_unknown_recipient_says_the_server_refused_the_recipients_in_french_and_english(
    alice, imap, smtp_server, celery_worker, short_delay, signed_in_client
):
    outbox = _queue(alice, "jerzy.brzeczyszczykiewicz@example.test", "Photos du chantier")
    wait_for(lambda: state_of(outbox) == State.FAILED)

    french = _toast_text(signed_in_client, "fr")
    assert ("Le serveur d'envoi a refusé les destinataires : « jerzy.brzeczyszczykiewicz@example.test: "
            "550 5.1.1 No such user here ». Le message est de nouveau dans Brouillons.") in french
    assert "Ouvrir le brouillon" in french
    _assert_no_raw_english(french)

    english = _toast_text(signed_in_client, "en")
    assert ("The outgoing mail server refused the recipients: “jerzy.brzeczyszczykiewicz@example.test: "
            "550 5.1.1 No such user here”. The message is back in Drafts.") in english
    _assert_no_raw_english(english)
    assert len(messages_in(imap, signed_in_client.mail_user, "Drafts")) == 1


def test_a_message_over_the_servers_size_limit_says_the_server_refused_the_message(
    compose, bob, own_smtp, celery_worker, short_delay, signed_in_client
):
    server = own_smtp(data_size_limit=256 * 1024)
    edit_url, _ = compose(bob.email, subject="Photos du chantier — rue Émile-Zola", body=LETTER, send=False)
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(400 * 1024) + b"\xff\xd9"
    upload = SimpleUploadedFile("chantier dalle n°1.jpg", photo, content_type="image/jpeg")
    assert signed_in_client.post(edit_url + "pieces-jointes/", {"files": upload}).status_code == 200
    response = signed_in_client.post(edit_url, {"to": bob.email, "cc": "", "bcc": "", "body": LETTER,
                                                "subject": "Photos du chantier — rue Émile-Zola",
                                                "action": "send", "confirmed": "1"})
    assert response.status_code == 302
    outbox = OutboxMessage.objects.get()
    wait_for(lambda: state_of(outbox) == State.FAILED)
    assert not server.messages_with_id(outbox.message_id)

    french = _toast_text(signed_in_client, "fr")
    assert "Le serveur d'envoi a refusé le message : « 552 " in french
    assert "Le message est de nouveau dans Brouillons." in french
    _assert_no_raw_english(french)
    english = _toast_text(signed_in_client, "en")
    assert "The outgoing mail server refused the message: “552 " in english
    outbox.refresh_from_db()
    assert outbox.failure_kind == "refused" and outbox.last_error.startswith("552 ")


def test_a_password_changed_on_the_server_says_so(alice, bob, dovecot, smtp_server, celery_worker, short_delay,
                                                  signed_in_client):
    dovecot.add_user(signed_in_client.mail_user.email, "changé-sur-le-serveur")
    outbox = _queue(alice, bob.email, "Mot de passe changé")
    wait_for(lambda: state_of(outbox) == State.FAILED)
    french = _toast_text(signed_in_client)
    assert "Le serveur d'envoi a refusé votre adresse e-mail ou votre mot de passe : « 535 " in french
    english = _toast_text(signed_in_client, "en")
    assert "The outgoing mail server refused your email address or password: “535 " in english


def test_a_stored_password_no_key_can_read_says_to_sign_in_again(alice, bob, smtp_server, celery_worker,
                                                                 short_delay, signed_in_client, settings):
    from webmail.core.crypto import generate_key

    outbox = _queue(alice, bob.email, "Clé changée")
    settings.CREDENTIALS_KEYS = [generate_key()]  # the key that encrypted the password is gone
    wait_for(lambda: state_of(outbox) == State.FAILED)
    french = _toast_text(signed_in_client)
    assert ("Votre mot de passe enregistré est illisible : déconnectez-vous, reconnectez-vous, puis renvoyez "
            "le message.") in french
    _assert_no_raw_english(french)
    assert "Your saved password could not be read" in _toast_text(signed_in_client, "en")
    assert not smtp_server.messages_with_id(outbox.message_id)


def test_a_server_down_until_the_attempts_run_out_says_how_many(alice, bob, own_smtp, celery_worker, short_delay,
                                                                signed_in_client, settings):
    own_smtp().stop()  # nothing listens on its port any more
    settings.OUTBOX_MAX_ATTEMPTS = 2
    settings.OUTBOX_RETRY_BASE_SECONDS = 3  # time to read the toast between the two attempts
    outbox = _queue(alice, bob.email, "Serveur arrêté")
    wait_for(lambda: OutboxMessage.objects.filter(pk=outbox.pk, attempts=1, state=State.PENDING).exists())
    retrying = _toast_text(signed_in_client)
    assert "Le serveur d'envoi ne répond pas. Nouvel essai à" in retrying
    wait_for(lambda: state_of(outbox) == State.FAILED, timeout=20)
    french = _toast_text(signed_in_client)
    assert "Le serveur d'envoi n'a pas accepté le message après 2 essais. Le message est de nouveau" in french
    _assert_no_raw_english(french)
    assert "did not accept the message after 2 attempts." in _toast_text(signed_in_client, "en")


def test_a_send_interrupted_mid_smtp_is_recorded_as_such(alice, bob, smtp_server, short_delay, settings,
                                                         signed_in_client):
    settings.OUTBOX_STALE_SECONDS = 60
    outbox = _queue(alice, bob.email, "Envoi interrompu")
    settings.SMTP_FINAL_REPLY_TIMEOUT = 30
    long_ago = timezone.now() - timedelta(seconds=120)
    # A worker killed after the data went out, and after the longest wait for the server's answer.
    OutboxMessage.objects.filter(pk=outbox.pk).update(state=State.SENDING, claimed_at=long_ago,
                                                      smtp_started_at=long_ago, smtp_data_at=long_ago)
    service.sweep()
    outbox.refresh_from_db()
    assert outbox.state == State.UNCERTAIN and outbox.failure_kind == "interrupted" and outbox.last_error == ""
    french = _toast_text(signed_in_client)
    assert "L'envoi a été interrompu et le message est peut-être parti." in french
    _assert_no_raw_english(french)
