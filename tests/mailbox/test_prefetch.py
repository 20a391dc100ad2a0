"""Fetching ahead (webmail/mailbox/prefetch.py): the newest messages of a list page and those
around the one being read are fetched, parsed and sanitised before the click, never marked read,
and never at the cost of another IMAP connection."""

from __future__ import annotations

import pytest

from tests.mailbox.conftest import build
from webmail.imap import gateway
from webmail.mailbox import prefetch, reading
from webmail.mailbox.message_cache import cache

pytestmark = [pytest.mark.imap, pytest.mark.django_db]

NEWSLETTER = (
    "<h1>Lettre d’information — novembre</h1>"
    + "<p>Les nouvelles du mois : Zażółć gęślą jaźń, مرحبا, et la suite du programme.</p>" * 60
)


def _put_unread(user, put_mail, count: int):
    put_mail(user, [build(subject=f"Nouvelles n° {i}", html=NEWSLETTER + f"<p>fin {i}</p>") for i in range(count)])


def _uidvalidity(user) -> int:
    with gateway.mailbox_for(user.email, user.password) as mailbox:
        return mailbox._client.folder_status("INBOX", [b"UIDVALIDITY"])[b"UIDVALIDITY"]


def _kept(user, uid) -> bool:
    return cache.has(gateway.pool.key(user.email, user.password), "INBOX", _uidvalidity(user), uid)


def test_a_list_page_fetches_its_newest_messages_ahead_without_marking_them_read(
    signed_in_client, put_mail, uids, flags_of, settings
):
    settings.PREFETCH_MESSAGES = 3
    user = signed_in_client.mail_user
    _put_unread(user, put_mail, 6)
    found = uids(user)
    assert signed_in_client.get("/mail/").status_code == 200
    assert prefetch.wait_idle()
    newest = sorted(found, reverse=True)
    assert [_kept(user, uid) for uid in newest] == [True, True, True, False, False, False]
    assert all("\\Seen" not in flags_of(user, "INBOX", uid) for uid in found)


def test_reading_fetches_the_next_and_previous_ahead_and_opening_them_parses_nothing(
    signed_in_client, put_mail, uids, flags_of, settings, monkeypatch
):
    settings.PREFETCH_MESSAGES = 2
    user = signed_in_client.mail_user
    _put_unread(user, put_mail, 8)
    newest = sorted(uids(user), reverse=True)
    assert signed_in_client.get("/mail/").status_code == 200
    assert prefetch.wait_idle()
    middle = newest[4]
    assert signed_in_client.get(f"/mail/{middle}/", {"folder": "INBOX"}).status_code == 200
    assert prefetch.wait_idle()
    assert _kept(user, newest[3]) and _kept(user, newest[5])  # above and below it in the list
    assert "\\Seen" not in flags_of(user, "INBOX", newest[3])
    assert "\\Seen" not in flags_of(user, "INBOX", newest[5])
    parsed = []
    monkeypatch.setattr(reading, "parse_message", lambda raw: parsed.append(raw) or pytest.fail("parsed again"))
    page = signed_in_client.get(f"/mail/{newest[5]}/", {"folder": "INBOX"})
    frame = signed_in_client.get(f"/mail/{newest[5]}/corps/", {"folder": "INBOX"})
    assert "Nouvelles n° 2" in page.content.decode() and "fin 2" in frame.content.decode()
    assert parsed == []
    assert "\\Seen" in flags_of(user, "INBOX", newest[5])  # opening it does mark it read


def test_fetching_ahead_uses_the_connection_the_request_gave_back_never_another(
    signed_in_client, put_mail, uids, settings
):
    settings.PREFETCH_MESSAGES = 3
    user = signed_in_client.mail_user
    _put_unread(user, put_mail, 4)
    key = gateway.pool.key(user.email, user.password)
    gateway.pool.clear()
    assert signed_in_client.get("/mail/").status_code == 200
    assert prefetch.wait_idle()
    assert sum(_kept(user, uid) for uid in uids(user)) == 3
    assert gateway.pool.held(key) == 1
