"""The message list: paging, preview, flags shown, polling fragment, bad input."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime

import pytest

from tests.helpers import preferences_data
from tests.mailbox.conftest import build
from webmail.imap import gateway

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


def test_120_messages_make_3_pages_newest_first(signed_in_client, put_mail):
    put_mail(signed_in_client.mail_user, [build(subject=f"Message n°{i:03d}") for i in range(120)])
    first = signed_in_client.get("/mail/").content.decode()
    assert "1–50 sur 120" in first or "1–50 of 120" in first
    assert first.count("<li class=\"message") == 50
    assert first.index("Message n°119") < first.index("Message n°070")
    assert "Message n°069" not in first
    third = signed_in_client.get("/mail/", {"page": 3}).content.decode()
    assert third.count("<li class=\"message") == 20
    assert "Message n°019" in third and "Message n°000" in third and "Message n°020" not in third
    assert 'rel="next"' not in third and 'rel="prev"' in third


@pytest.mark.parametrize("page,status", [("abc", 400), ("0", 400), ("-1", 400), ("4", 404), ("99999999", 400)])
def test_bad_page_numbers_are_4xx(signed_in_client, put_mail, page, status):
    put_mail(signed_in_client.mail_user, [build(subject=f"m{i}") for i in range(3)])
    response = signed_in_client.get("/mail/", {"page": page})
    assert response.status_code == status


def test_rows_show_flags_attachment_preview_and_link_to_the_reading_pane(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    put_mail(user, [build(subject="Avec pièce", body="Corps visible en aperçu",
                          attachments=[("a.pdf", "application/pdf", b"%PDF")])])
    put_mail(user, [build(subject="Suivi et répondu")], flags=("\\Flagged", "\\Answered", "\\Seen"))
    first, second = uids(user)
    html = signed_in_client.get("/mail/").content.decode()
    assert html.count('class="message unread"') == 1
    assert "Corps visible en aperçu" in html
    assert html.count('class="badge attachment"') == 1
    assert html.count('class="badge answered"') == 1
    assert f'value="unstar:{second}:INBOX"' in html and f'value="star:{first}:INBOX"' in html
    assert f'href="/mail/{first}/?folder=INBOX"' in html
    assert f'name="msg" value="{first}:INBOX"' in html


def test_preview_falls_back_without_the_preview_capability(signed_in_client, put_mail, monkeypatch):
    put_mail(signed_in_client.mail_user, [build(subject="Sans PREVIEW", body="Premières lignes du texte")])
    monkeypatch.setattr(gateway.IMAPClient, "has_capability", lambda self, cap: cap not in ("PREVIEW", "PREVIEW=FUZZY"))
    html = signed_in_client.get("/mail/").content.decode()
    assert "Premières lignes du texte" in html


def test_dates_today_show_the_time_and_older_ones_the_date(signed_in_client, imap):
    user = signed_in_client.mail_user
    with imap(user) as mailbox:
        mailbox.append("INBOX", build(subject="Ancien"), when=datetime(2019, 3, 14, 9, 30, tzinfo=UTC))
        mailbox.append("INBOX", build(subject="Récent"))
        mailbox.append("INBOX", build(subject="Ancien aussi"), when=datetime(2019, 3, 14, 17, 0, tzinfo=UTC))
    html = signed_in_client.get("/mail/").content.decode()
    assert html.count("14/03/2019") == 2
    assert 'datetime="2019-03-14T09:30:00' in html
    assert re.search(r'<time datetime="[^"]+">\d\d:\d\d</time>', html)  # today: the time


@pytest.fixture
def server_clock_in_tokyo():
    """The web server's own local time zone set far from both UTC and the user's."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


def test_dates_are_shown_in_the_users_time_zone_whatever_the_servers(
    signed_in_client, imap, put_mail, uids, server_clock_in_tokyo
):
    user = signed_in_client.mail_user
    late = datetime(2019, 3, 14, 23, 30, tzinfo=UTC)  # already the 15th in Paris, still the 14th in New York
    with imap(user) as mailbox:
        mailbox.append("INBOX", build(subject="Tard le soir", date=late), when=late)
    [uid] = uids(user)
    listing = signed_in_client.get("/mail/").content.decode()
    assert "15/03/2019" in listing  # the default zone: Europe/Paris
    assert re.search(r'<time datetime="2019-03-14T23:30:00\+00:00">', listing)  # the instant, with its offset
    assert "15 mars 2019 00:30" in signed_in_client.get(f"/mail/{uid}/").content.decode()
    reply = signed_in_client.get("/ecrire/", {"reply": uid, "folder": "INBOX"})
    assert "Le 15 mars 2019 00:30, Claire Martin" in signed_in_client.get(reply.url).content.decode()

    signed_in_client.post("/parametres/", preferences_data(time_zone="America/New_York"))
    assert "14/03/2019" in signed_in_client.get("/mail/").content.decode()
    assert "14 mars 2019 19:30" in signed_in_client.get(f"/mail/{uid}/").content.decode()


def test_sent_and_drafts_show_whom_it_was_written_to(signed_in_client, put_mail):
    user = signed_in_client.mail_user
    put_mail(user, [build(subject="Compte rendu", sender=user.email, to="Bob Durand <bob@example.fr>, eve@example.fr")],
             folder="Sent")
    put_mail(user, [build(subject="Brouillon", sender=user.email, to="Zoé <zoe@example.fr>")], folder="Drafts")
    sent = signed_in_client.get("/mail/", {"folder": "Sent"}).content.decode()
    assert '<span class="sender" dir="auto">À : Bob Durand, eve@example.fr</span>' in sent
    drafts = signed_in_client.get("/mail/", {"folder": "Drafts"}).content.decode()
    assert '<span class="sender" dir="auto">À : Zoé</span>' in drafts
    found = signed_in_client.get("/mail/", {"q": "Compte rendu"}).content.decode()
    assert "À : Bob Durand" in found  # a search across folders shows Sent rows the same way


def test_links_get_the_list_alone_but_the_back_button_gets_the_whole_page(signed_in_client, put_mail):
    put_mail(signed_in_client.mail_user, [build(subject="Nouveau")])
    swapped = signed_in_client.get("/mail/", {"folder": "INBOX"}, HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true",
                                   HTTP_HX_TARGET="message-list")
    html = swapped.content.decode()
    assert "<html" not in html and "Nouveau" in html
    assert html.startswith("<title>Boîte de réception · Webmail</title>")  # htmx sets the tab's title
    assert 'class="folders" hx-boost="true" hx-target="#message-list"' in html
    restored = signed_in_client.get("/mail/", {"folder": "INBOX"}, HTTP_HX_REQUEST="true",
                                    HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in restored.content.decode()
    assert "HX-Target" in restored["Vary"]
    from_a_message = signed_in_client.get("/mail/", {"folder": "INBOX"}, HTTP_HX_REQUEST="true",
                                          HTTP_HX_BOOSTED="true", HTTP_HX_TARGET="main")
    assert '<main id="main"' in from_a_message.content.decode()  # "Back to Inbox" swaps #main


def test_htmx_request_gets_the_polling_fragment_with_folder_counts(signed_in_client, put_mail):
    put_mail(signed_in_client.mail_user, [build(subject="Nouveau")])
    response = signed_in_client.get("/mail/", {"folder": "INBOX"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="message-list")
    html = response.content.decode()
    assert "<html" not in html
    assert 'hx-trigger="every 30s"' in html and "Nouveau" in html
    assert 'id="folder-nav" hx-swap-oob="true"' in html
    page2 = signed_in_client.get("/mail/", {"page": 1, "q": "Nouveau"}, HTTP_HX_REQUEST="true",
                                 HTTP_HX_TARGET="message-list").content.decode()
    assert "every 30s" not in page2  # search results are not polled


def test_nested_and_non_ascii_folders_are_listed_and_open(signed_in_client, imap, put_mail):
    user = signed_in_client.mail_user
    with imap(user) as mailbox:
        mailbox.create_folder("Projets")
        mailbox.create_folder("Projets/Été 2026")
        mailbox.create_folder("日本語")
    put_mail(user, [build(subject="Dans le sous-dossier")], folder="Projets/Été 2026")
    html = signed_in_client.get("/mail/").content.decode()
    assert 'class="depth-1"' in html and "Été 2026" in html and "日本語" in html
    assert "folder=Projets%2F%C3%89t%C3%A9%202026" in html
    inner = signed_in_client.get("/mail/", {"folder": "Projets/Été 2026"})
    assert inner.status_code == 200 and "Dans le sous-dossier" in inner.content.decode()
    assert 'aria-label="1 non lu"' in html or 'aria-label="1 unread"' in html


def test_sidebar_has_the_compose_and_manage_links(signed_in_client):
    html = signed_in_client.get("/mail/").content.decode()
    assert 'href="/ecrire/"' in html and "Nouveau message" in html
    assert 'href="/dossiers/"' in html


def test_move_offers_every_folder_but_the_one_on_screen(signed_in_client, put_mail):
    put_mail(signed_in_client.mail_user, [build(subject="À ranger")])
    html = signed_in_client.get("/mail/").content.decode()
    options = re.findall(r'<option value="([^"]+)">', html.split('name="target"', 1)[1].split("</select>", 1)[0])
    assert "INBOX" not in options and {"Archive", "Trash", "Sent"} <= set(options)
    found = signed_in_client.get("/mail/", {"q": "ranger"}).content.decode()  # results span folders
    assert '<option value="INBOX">' in found


def test_a_kept_selection_still_sees_mail_added_or_removed_elsewhere(mail_user, imap, put_mail):
    put_mail(mail_user, [build(subject=f"m{i}") for i in range(3)])
    with imap(mail_user) as reader, imap(mail_user) as other:
        assert reader.page("INBOX", 1).total == 3
        other.append("INBOX", build(subject="Arrivé"))
        page = reader.page("INBOX", 1)
        assert page.total == 4 and page.messages[0].subject == "Arrivé"
        other.delete_permanently("INBOX", [page.messages[0].uid, page.messages[1].uid])
        page = reader.page("INBOX", 1)
        assert page.total == 2 and [m.subject for m in page.messages] == ["m1", "m0"]
        reader.set_flag("INBOX", [page.messages[0].uid], "\\Flagged", True)
        assert reader.page("INBOX", 1).messages[0].flagged


def test_folder_counts_come_from_one_list_status_command(signed_in_client, imap, put_mail, monkeypatch):
    user = signed_in_client.mail_user
    with imap(user) as mailbox:
        mailbox.create_folder("Reçus/Été")
    put_mail(user, [build(subject="a"), build(subject="b")], folder="Reçus/Été")
    put_mail(user, [build(subject="c")], folder="INBOX")
    monkeypatch.setattr(gateway.IMAPClient, "folder_status", lambda *a, **k: pytest.fail("STATUS per folder"))
    with imap(user) as mailbox:
        counts = {f.name: (f.messages, f.unseen) for f in mailbox.folders()}
    assert counts["Reçus/Été"] == (2, 2) and counts["INBOX"] == (1, 1) and counts["Trash"] == (0, 0)


def test_page_and_folders_answers_like_page_then_folders_and_leaves_the_connection_in_step(
    mail_user, imap, put_mail
):
    put_mail(mail_user, [build(subject=f"m{i}") for i in range(60)])
    put_mail(mail_user, [build(subject="archivé")], folder="Archive")
    with imap(mail_user) as mailbox:
        page, folders = mailbox.page_and_folders("INBOX", 2)
        assert [m.subject for m in page.messages] == [f"m{i}" for i in range(9, -1, -1)]
        assert folders == mailbox.folders()
        counts = {f.name: (f.messages, f.unseen) for f in folders}
        assert counts["INBOX"] == (60, 60) and counts["Archive"] == (1, 1)
        # Both answers were read: the next commands get their own answers, not leftovers.
        assert mailbox.page("INBOX", 1).messages[0].subject == "m59"
        assert [m.subject for m in mailbox.page("Archive", 1).messages] == ["archivé"]


def test_page_and_folders_of_an_empty_folder_and_without_list_status(mail_user, imap, put_mail, monkeypatch):
    put_mail(mail_user, [build(subject="seul")])
    with imap(mail_user) as mailbox:
        page, folders = mailbox.page_and_folders("Junk", 1)
        assert page.total == 0 and page.messages == [] and "INBOX" in {f.name for f in folders}
    monkeypatch.setattr(gateway.IMAPClient, "has_capability", lambda self, cap: cap != "LIST-STATUS")
    with imap(mail_user) as mailbox:
        page, folders = mailbox.page_and_folders("INBOX", 1)
        assert [m.subject for m in page.messages] == ["seul"]
        assert {f.name: f.unseen for f in folders}["INBOX"] == 1  # from STATUS, folder by folder


def test_a_stored_time_zone_that_no_longer_exists_shows_dates_in_utc(signed_in_client, imap):
    """Zones are checked when saved; one dropped from the time-zone database since must not break pages."""
    from django.contrib.auth import get_user_model

    from webmail.preferences.models import Preferences

    user = signed_in_client.mail_user
    late = datetime(2019, 3, 14, 23, 30, tzinfo=UTC)
    with imap(user) as mailbox:
        mailbox.append("INBOX", build(subject="Tard le soir", date=late), when=late)
    owner = get_user_model().objects.get(username=user.email.lower())
    Preferences.objects.update_or_create(user=owner, defaults={"time_zone": "Mars/Olympus_Mons"})
    response = signed_in_client.get("/mail/")
    assert response.status_code == 200
    assert "14/03/2019" in response.content.decode()
