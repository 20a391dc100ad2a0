"""The demo's welcome message describes scheduling as it works: the presets follow the sender's own
office hours (Paramètres), not the recipient's (issue 14)."""

import html
import re

import pytest

from webmail.demo.seed import seed_mailbox

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


def test_the_welcome_message_says_scheduling_follows_your_own_office_hours(signed_in_client, imap):
    user = signed_in_client.mail_user
    assert seed_mailbox(user.email, user.password) == 6
    with imap(user) as mailbox:
        [uid] = mailbox.search("INBOX", ["SUBJECT", "Bienvenue"])
    page = signed_in_client.get(f"/mail/{uid}/", {"folder": "INBOX"}).content.decode()
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "Bienvenue dans votre webmail" in text
    assert ("« Programmer l'envoi » vous propose de l'envoyer plus tard, selon vos propres heures de bureau "
            "(réglables dans Paramètres)") in text
    assert "destinataire" not in text
