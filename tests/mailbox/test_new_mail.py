"""New mail without reload, over HTTP: the small poll endpoint, the count it carries, the opt-in."""

from __future__ import annotations

import re

import pytest

from tests.mailbox.conftest import build
from webmail.preferences.models import Preferences

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


def _unread(html: str) -> tuple[str, str]:
    match = re.search(r'<div id="folder-nav"[^>]* data-inbox-unread="(\d+)" data-unread-sentence="([^"]*)"', html)
    assert match, html[:500]
    return match[1], match[2]


def test_the_poll_answers_the_folder_list_out_of_band_with_the_inbox_count(signed_in_client, put_mail):
    user = signed_in_client.mail_user
    response = signed_in_client.get("/mail/nouveautes/")
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    html = response.content.decode()
    assert 'id="folder-nav" hx-swap-oob="true"' in html
    assert _unread(html) == ("0", "0 message non lu dans la boîte de réception")
    put_mail(user, [build(subject="Réunion de rentrée"), build(subject="Wyjazd do Gdańska")])
    put_mail(user, [build(subject="Déjà lu")], flags=("\\Seen",))
    put_mail(user, [build(subject="Dans les archives")], folder="Archive")
    html = signed_in_client.get("/mail/nouveautes/").content.decode()
    assert _unread(html) == ("2", "2 messages non lus dans la boîte de réception")
    assert re.search(r'aria-label="1 non lu">1</span>', html)  # Archives has its own count
    polish = signed_in_client.get("/mail/nouveautes/", headers={"accept-language": "pl"}).content.decode()
    assert _unread(polish) == ("2", "2 nieprzeczytane wiadomości w skrzynce odbiorczej")


def test_every_page_carries_the_count_and_the_poll(signed_in_client, put_mail):
    put_mail(signed_in_client.mail_user, [build(subject="Bonjour")])
    for path in ("/mail/", "/parametres/", "/ecrire/"):
        html = signed_in_client.get(path, follow=True).content.decode()  # /ecrire/ opens a new draft
        assert _unread(html)[0] == "1", path
        assert re.search(r'<div id="news-poll" hidden hx-get="/mail/nouveautes/" hx-trigger="every 30s" '
                         r'hx-swap="none" data-new-mail="Nouveau message"></div>', html), path


def test_the_list_poll_brings_the_count_too(signed_in_client, put_mail):
    html = signed_in_client.get("/mail/", headers={"HX-Request": "true", "HX-Target": "message-list"}).content.decode()
    assert _unread(html)[0] == "0"
    put_mail(signed_in_client.mail_user, [build(subject="Nouveau devis")])
    html = signed_in_client.get("/mail/", headers={"HX-Request": "true", "HX-Target": "message-list"}).content.decode()
    assert _unread(html)[0] == "1" and "Nouveau devis" in html


def test_the_poll_interval_is_a_setting(signed_in_client, settings):
    settings.MAIL_POLL_SECONDS = 45
    html = signed_in_client.get("/mail/").content.decode()
    assert 'hx-trigger="every 45s"' in html and 'hx-get="/mail/nouveautes/" hx-trigger="every 45s"' in html


def test_notifications_are_off_until_the_user_turns_them_on(signed_in_client):
    html = signed_in_client.get("/parametres/").content.decode()
    assert "data-notify" not in html
    assert re.search(r'<input type="checkbox" name="notify_new_mail" id="id_notify_new_mail">\s*'
                     r"Afficher une notification sur le bureau à l’arrivée d’un message", html)
    form = _settings_form(signed_in_client)
    response = signed_in_client.post("/parametres/", {**form, "notify_new_mail": "on"})
    assert response.status_code == 302
    user = signed_in_client.mail_user
    assert Preferences.objects.get(user__username=user.email).notify_new_mail is True
    assert " data-notify></div>" in signed_in_client.get("/mail/").content.decode()


def _settings_form(client) -> dict:
    """The settings form as the page fills it (what a browser would post back)."""
    html = client.get("/parametres/").content.decode()
    data: dict = {}
    for name, value in re.findall(r'<input type="(?:text|number|time)" name="(\w+)" value="([^"]*)"', html):
        data[name] = value
    for name, value in re.findall(r'<input type="radio" name="(\w+)" value="([^"]*)"[^>]* checked', html):
        data[name] = value
    for name in re.findall(r'<input type="checkbox" name="(\w+)"[^>]* checked', html):
        data.setdefault(name, "on")
    data["working_days"] = re.findall(r'name="working_days" value="(\d)"[^>]* checked', html)
    data["time_zone"] = "Europe/Paris"
    return data


def test_a_mail_server_down_leaves_the_counts_as_they_are(signed_in_client, settings):
    from webmail.demo.dovecot import free_port
    from webmail.imap import gateway

    gateway.pool.clear()
    settings.IMAP_PORT = free_port()
    response = signed_in_client.get("/mail/nouveautes/")
    assert response.status_code == 204 and response.content == b""


def test_signed_out_polls_are_sent_to_sign_in(client):
    response = client.get("/mail/nouveautes/", headers={"HX-Request": "true"})
    assert response.status_code in (200, 204) and response.headers.get("HX-Redirect", "").startswith("/compte/")


def test_the_poll_only_reads(signed_in_client):
    assert signed_in_client.post("/mail/nouveautes/").status_code == 405
