"""A page shown again (a poll, "back to the list", a reload) asks the server for its flags only:
the rest of a row never changes for a UID. These tests check that nothing stale is ever shown."""

from __future__ import annotations

import pytest

from tests.mailbox.conftest import build
from webmail.imap import gateway

pytestmark = [pytest.mark.imap, pytest.mark.django_db]


@pytest.fixture
def envelope_fetches(monkeypatch):
    """How many messages each FETCH of whole rows asked for."""
    counts: list[int] = []
    real = gateway.Mailbox._fetch_envelopes

    def counting(self, which, *args, **kwargs):
        counts.append(len(which))
        return real(self, which, *args, **kwargs)

    monkeypatch.setattr(gateway.Mailbox, "_fetch_envelopes", counting)
    return counts


def _rows(page):
    return [(m.subject, m.seen, m.flagged, m.answered) for m in page.messages]


def test_a_page_shown_again_fetches_only_flags_and_shows_flags_changed_elsewhere(
    mail_user, imap, put_mail, envelope_fetches
):
    put_mail(mail_user, [build(subject=f"m{i}") for i in range(3)])
    with imap(mail_user) as reader, imap(mail_user) as other:
        first = reader.page("INBOX", 1)
        assert _rows(first) == [("m2", False, False, False), ("m1", False, False, False), ("m0", False, False, False)]
        other.set_flag("INBOX", [first.messages[0].uid], "\\Flagged", True)
        other.set_flag("INBOX", [first.messages[1].uid], "\\Seen", True)
        other.set_flag("INBOX", [first.messages[2].uid], "\\Answered", True)
        again, folders = reader.page_and_folders("INBOX", 1)
        assert _rows(again) == [("m2", False, True, False), ("m1", True, False, False), ("m0", False, False, True)]
        assert {f.name: f.unseen for f in folders}["INBOX"] == 2
        reader.set_flag("INBOX", [first.messages[0].uid], "\\Flagged", False)  # on this connection too
        assert not reader.page("INBOX", 1).messages[0].flagged
    assert envelope_fetches == [3]


def test_new_and_expunged_mail_move_the_pages_and_their_rows_follow(mail_user, imap, put_mail, envelope_fetches):
    put_mail(mail_user, [build(subject=f"m{i}") for i in range(5)])
    with imap(mail_user) as reader, imap(mail_user) as other:
        assert [m.subject for m in reader.page("INBOX", 1, per_page=2).messages] == ["m4", "m3"]
        assert [m.subject for m in reader.page("INBOX", 2, per_page=2).messages] == ["m2", "m1"]
        other.append("INBOX", build(subject="nouveau"))
        assert [m.subject for m in reader.page("INBOX", 2, per_page=2).messages] == ["m3", "m2"]
        gone = [m.uid for m in reader.page("INBOX", 1, per_page=2).messages]  # nouveau, m4
        other.delete_permanently("INBOX", gone)
        assert [m.subject for m in reader.page("INBOX", 1, per_page=2).messages] == ["m3", "m2"]
        assert [m.subject for m in reader.page("INBOX", 2, per_page=2).messages] == ["m1", "m0"]


def test_new_mail_in_the_kept_selection_needs_no_new_select(mail_user, imap, put_mail, monkeypatch, envelope_fetches):
    # SELECT of a big folder is slow (≈ 0.35 s at 100,000 messages on maildir); new mail only
    # raises the count, so the selection is kept and only the page's rows are fetched.
    put_mail(mail_user, [build(subject=f"m{i}") for i in range(4)])
    selects = []
    real_select = gateway.IMAPClient.select_folder
    monkeypatch.setattr(gateway.IMAPClient, "select_folder", lambda self, *a, **k: selects.append(a[0]) or real_select(self, *a, **k))
    with imap(mail_user) as reader, imap(mail_user) as other:
        assert [m.subject for m in reader.page("INBOX", 2, per_page=2).messages] == ["m1", "m0"]
        other.append("INBOX", build(subject="nouveau"))
        other.append("INBOX", build(subject="encore"))
        page = reader.page("INBOX", 1, per_page=2)
        assert page.total == 6 and [m.subject for m in page.messages] == ["encore", "nouveau"]
        assert [m.subject for m in reader.page("INBOX", 3, per_page=2).messages] == ["m1", "m0"]  # seen, flags only
    assert selects.count("INBOX") == 1
    assert envelope_fetches == [2, 2]


def test_rows_beyond_what_a_connection_keeps_are_fetched_again(mail_user, imap, put_mail, monkeypatch, envelope_fetches):
    monkeypatch.setattr(gateway, "REMEMBERED_ROWS", 60)
    put_mail(mail_user, [build(subject=f"m{i:03d}") for i in range(120)])
    with imap(mail_user) as reader:
        pages = [reader.page("INBOX", n) for n in (1, 2, 3, 1, 3)]
    assert [[m.subject for m in p.messages] for p in pages[3:]] == [
        [m.subject for m in pages[0].messages], [m.subject for m in pages[2].messages]]
    assert envelope_fetches == [50, 50, 20, 50, 20]  # 60 rows kept: never two pages at once


def test_the_list_poll_shows_a_star_and_a_read_made_in_another_client(signed_in_client, imap, put_mail):
    user = signed_in_client.mail_user
    put_mail(user, [build(subject="À suivre")])
    with imap(user) as other:  # another mail client, holding a connection of its own
        assert 'class="message unread"' in signed_in_client.get("/mail/").content.decode()
        (uid,) = other.search("INBOX", ["ALL"])
        other.set_flag("INBOX", [uid], "\\Flagged", True)
        other.set_flag("INBOX", [uid], "\\Seen", True)
        poll = signed_in_client.get("/mail/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="message-list")
    html = poll.content.decode()
    assert 'class="message unread"' not in html and f'value="unstar:{uid}:INBOX"' in html
    assert 'class="count"' not in html.split('id="folder-nav"', 1)[1].split("</ul>", 1)[0]  # Inbox: no unread left


def test_the_list_poll_shows_mail_that_arrived_since_the_last_poll(signed_in_client, imap, put_mail):
    user = signed_in_client.mail_user
    put_mail(user, [build(subject="Premier")])
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "message-list"}
    with imap(user) as other:  # another client delivers while the list's connection keeps INBOX selected
        assert "Premier" in signed_in_client.get("/mail/", **poll).content.decode()
        other.append("INBOX", build(subject="Arrivé entre deux"))
        html = signed_in_client.get("/mail/", **poll).content.decode()
    assert html.index("Arrivé entre deux") < html.index("Premier")
    assert "1–2 sur 2" in html or "1–2 of 2" in html
