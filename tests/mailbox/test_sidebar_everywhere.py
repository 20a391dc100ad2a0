"""The folder list is on every page of the signed-in user, not only beside the mail.

Writing, the settings, the Boîte d'envoi and Programmés show the same sidebar as the inbox, so
that Brouillons is one click away; a mail server that cannot list the folders leaves the sidebar
empty there and the page still works (writing and sending need no folder list).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.mailbox.conftest import build
from webmail.compose.models import Composition
from webmail.demo.dovecot import free_port
from webmail.imap import gateway
from webmail.outbox.models import OutboxMessage, State

pytestmark = [pytest.mark.imap, pytest.mark.django_db]

FOLDER_LINK = re.compile(r'<a href="/mail/\?folder=([^"]+)" class="folder[^"]*"[^>]*><span class="folder-name">([^<]+)</span>')


def _pages(client) -> dict[str, str]:
    compose = client.get(reverse("compose:new")).url
    return {
        "compose": compose,
        "settings": reverse("preferences:edit"),
        "outbox": reverse("outbox:list"),
        "scheduled": reverse("outbox:scheduled"),
    }


def test_compose_settings_outbox_and_scheduled_show_the_folders(signed_in_client, put_mail):
    user = signed_in_client.mail_user
    put_mail(user, [build(subject="Non lu 1"), build(subject="Non lu 2")])
    put_mail(user, [build(subject="Brouillon de rapport", sender=user.email)], folder="Drafts", flags=("\\Seen",))
    for name, url in _pages(signed_in_client).items():
        response = signed_in_client.get(url)
        assert response.status_code == 200, name
        page = response.content.decode()
        links = dict(FOLDER_LINK.findall(page))
        assert links.get("Drafts") == "Brouillons", (name, links)
        assert links.get("INBOX") == "Boîte de réception", name
        assert {"Sent", "Trash", "Archive"} <= set(links), name
        assert '<span class="count" aria-label="2 non lus">2</span>' in page, name  # the same counts as the inbox
        assert 'hx-boost="true" hx-target="#message-list"' not in page, name  # no list here to swap into


def test_an_unreachable_mail_server_leaves_the_compose_page_usable(signed_in_client, mail_settings):
    urls = _pages(signed_in_client)
    # The server goes away after sign-in: nothing listens on its port any more (connection refused).
    gateway.pool.clear()
    mail_settings.IMAP_PORT = free_port()
    for name in ("compose", "settings", "outbox", "scheduled"):
        response = signed_in_client.get(urls[name])
        assert response.status_code == 200, name
        page = response.content.decode()
        assert FOLDER_LINK.search(page) is None, name
        assert "Nouveau message" in page and "Gérer les dossiers" in page, name  # the rest of the sidebar
    page = signed_in_client.get(urls["compose"]).content.decode()
    assert 'id="compose-form"' in page
    sent = signed_in_client.post(urls["compose"], {
        "to": "bob@example.test", "cc": "", "bcc": "", "subject": "Compte rendu de la réunion",
        "body": "Bonjour Bob,\n\nLe compte rendu suit.\n\nAlice", "action": "send", "confirmed": "1",
    })
    assert sent.status_code == 302  # queued: leaving needs SMTP, not the folder list
    composition = Composition.objects.get(subject="Compte rendu de la réunion")
    assert OutboxMessage.objects.filter(composition=composition, state=State.PENDING).exists()
