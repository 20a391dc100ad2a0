import subprocess

import pytest
from django.core.mail import EmailMessage

from tests.mailbox.conftest import build

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


def _append(mailbox, subject, sender="Claire Martin <claire@example.fr>", flags=(), body="Bonjour"):
    message = EmailMessage(subject, body, sender, ["someone@example.test"],
                           headers={"Message-ID": f"<{subject.replace(' ', '-')}@example.test>"})
    mailbox.append("INBOX", message.message().as_bytes(), flags=flags)


def test_inbox_lists_messages_newest_first_with_sender_subject_preview(signed_in_client, imap):
    with imap(signed_in_client.mail_user) as mailbox:
        _append(mailbox, "Premier message", body="Le tout premier.")
        _append(mailbox, "Second message", sender="=?utf-8?q?Ren=C3=A9e?= <renee@example.fr>", flags=("\\Seen",))
    html = signed_in_client.get("/mail/").content.decode()
    assert html.index("Second message") < html.index("Premier message")
    assert "Renée" in html
    assert "Le tout premier." in html
    assert html.count('class="message unread"') == 1


def test_special_folders_get_localized_names(signed_in_client):
    html = signed_in_client.get("/mail/").content.decode()
    for label in ("Boîte de réception", "Brouillons", "Envoyés", "Corbeille", "Indésirables", "Archives"):
        assert label in html


def test_unknown_folder_is_a_404_not_a_500(signed_in_client):
    response = signed_in_client.get("/mail/?folder=Nope")
    assert response.status_code == 404
    assert "Ce dossier n’existe pas." in response.content.decode() or "Ce dossier n'existe pas." in response.content.decode()


def test_mail_server_down_after_sign_in_gives_a_clear_503(signed_in_client, settings):
    from webmail.demo.dovecot import free_port
    from webmail.imap import gateway

    gateway.pool.clear()
    settings.IMAP_PORT = free_port()
    response = signed_in_client.get("/mail/")
    assert response.status_code == 503
    assert "ne répond pas" in response.content.decode()


def test_a_pooled_connection_the_server_dropped_is_replaced_without_an_error(signed_in_client, dovecot, put_mail):
    put_mail(signed_in_client.mail_user, [build(subject="Avant la coupure")])
    assert signed_in_client.get("/mail/").status_code == 200  # the connection is now in the pool
    # Kill the server's IMAP processes (a crash, an admin kicking users): every connection drops.
    subprocess.run(["pkill", "-f", f"^dovecot-webmail-{dovecot.imap_port}/imap$"], check=True)
    response = signed_in_client.get("/mail/")
    assert response.status_code == 200 and "Avant la coupure" in response.content.decode()
    assert signed_in_client.get("/mail/", {"folder": "Archive"}).status_code == 200
