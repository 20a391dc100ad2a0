"""Every `next` a request carries is followed only when it stays on this site (one helper,
webmail.core.redirects.safe_next): closing a failure toast, signing in, acting on messages,
switching the language. Over HTTP with the real Dovecot."""

from email.message import EmailMessage

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.django_db]

OFF_SITE = [
    "https://evil.example/",
    "//evil.example/connexion",
    "https:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    " https://evil.example",
    "javascript:alert(1)",
]


def _failed_send(email: str) -> OutboxMessage:
    """A message the server refused: its toast stays until closed (Fermer, the view under test)."""
    user = get_user_model().objects.get(username=email.lower())
    return OutboxMessage.objects.create(
        user=user, state=State.FAILED, deadline=timezone.now(), raw=b"Subject: x\r\n\r\nx\r\n",
        message_id="<r@example.test>", envelope_from=email, recipients=["zofia@example.test"],
        subject="Relevé de novembre", last_error="550 5.1.1 No such user",
    )


@pytest.mark.parametrize("target", OFF_SITE)
@pytest.mark.parametrize("where", ["form", "query"])
def test_closing_a_failure_toast_never_redirects_off_site(signed_in_client, target, where):
    message = _failed_send(signed_in_client.mail_user.email)
    url = f"/envoi/{message.pk}/fermer/"
    if where == "query":
        response = signed_in_client.post(url + "?" + _query(target))
    else:
        response = signed_in_client.post(url, {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert OutboxMessage.objects.get(pk=message.pk).dismissed


def test_closing_a_failure_toast_returns_to_the_page_it_was_on(signed_in_client):
    message = _failed_send(signed_in_client.mail_user.email)
    response = signed_in_client.post(f"/envoi/{message.pk}/fermer/", {"next": "/mail/?folder=Archive&page=2"})
    assert response["Location"] == "/mail/?folder=Archive&page=2"


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_never_redirects_off_site(client, mail_user, target):
    response = client.post("/compte/connexion/?" + _query(target),
                           {"email": mail_user.email, "password": mail_user.password, "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_signing_in_returns_to_the_page_asked_for(client, mail_user):
    response = client.post("/compte/connexion/", {"email": mail_user.email, "password": mail_user.password,
                                                  "next": "/parametres/"})
    assert response["Location"] == "/parametres/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_actions_on_messages_never_redirect_off_site(signed_in_client, imap, target):
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = "Facture", "Łucja <lucja@example.pl>", "a@example.test"
    message.set_content("Bonjour")
    with imap(signed_in_client.mail_user) as mailbox:
        mailbox.append("INBOX", message.as_bytes())
        [uid] = mailbox.search("INBOX", ["ALL"])
    response = signed_in_client.post("/mail/actions/", {"action": "star", "msg": [f"{uid}:INBOX"], "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/mail/?folder=INBOX"


@pytest.mark.parametrize("target", OFF_SITE)
def test_switching_the_language_never_redirects_off_site(client, target):
    response = client.post("/i18n/setlang/", {"language": "en", "next": target})
    assert response.status_code == 302
    assert not response["Location"].startswith(("http", "//", "/\\", "\\", " ", "javascript"))


def _query(target: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": target})
