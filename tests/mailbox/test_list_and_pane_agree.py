"""A message opens under the subject and the date it is listed with, whatever its headers hold.

The list reads the page from the server's FETCH, the reading pane parses the whole message: both
take the Subject and Date lines the server returns and read them with `parse.subject_and_date`.
Checked over HTTP against the real Dovecot with the malformed corpus and hand-made headers.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import preferences_data

pytestmark = [pytest.mark.imap, pytest.mark.django_db]

CORPUS = sorted((Path(__file__).parent / "malformed").glob("*.eml"))
ROW = re.compile(
    r'<li class="message[^"]*" data-uid="(\d+)">.*?<span class="subject">(.*?)</span>.*?'
    r'<time datetime="([^"]*)">(.*?)</time></span></li>',
    re.DOTALL,
)
# Django's French abbreviations (the "N" date format), as the other pages show them ("déc.").
FRENCH_MONTHS = ("jan.", "fév.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")
ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _headers(lines: list[bytes], body: bytes = b"Bonjour,\r\n\r\nLe texte du message.\r\n") -> bytes:
    return b"\r\n".join([b"From: Claire Martin <claire@example.fr>", b"To: alice@example.test", *lines]) + b"\r\n\r\n" + body


def _rows(page: str) -> dict[int, tuple[str, str, str]]:
    """uid -> (subject, datetime attribute, shown date) of each row of a list page."""
    return {int(uid): (html.unescape(s), iso, html.unescape(d)) for uid, s, iso, d in ROW.findall(page)}


def _opened(client, uid: int) -> tuple[str, str | None]:
    page = client.get(f"/mail/{uid}/", {"folder": "INBOX"}).content.decode()
    subject = re.search(r'<h1 id="message-subject"[^>]*>(.*?)</h1>', page, re.DOTALL).group(1)
    when = re.search(r'<dd><time datetime="([^"]+)">', page)
    return html.unescape(subject), when.group(1) if when else None


def test_each_message_opens_with_the_subject_and_date_of_its_row(signed_in_client, put_mail, uids):
    """The corpus plus the cases seen in real mail: raw Latin-1, broken encoded words, two
    Subject and two Date headers (the server's ENVELOPE holds the second ones), a Date in a zone
    where it is still the day before, and unreadable Dates (then the arrival time, in both)."""
    user = signed_in_client.mail_user
    evening = (datetime.now(UTC) - timedelta(days=40)).replace(hour=7, minute=30, second=0, microsecond=0)
    pacific = evening.astimezone(ZoneInfo("America/Los_Angeles"))  # 23:30 the day before
    made = {
        "latin-1": _headers([b"Subject: R\xe9union du comit\xe9 \xe0 l'h\xf4tel de ville", b"Date: Tue, 05 Mar 2024 10:00:00 +0100"]),
        "broken words": _headers([b"Subject: =?utf-8?q?Compte_rendu_=C3=A9t?= =?utf-8?B?w6k=?==?utf-8?q?_sans fin",
                                  b"Date: Tue, 05 Mar 2024 10:05:00 +0100"]),
        "two subjects": _headers([b"Subject: =?utf-8?q?Facture_n=C2=B0_2024-118?=", b"Subject: Autre sujet",
                                  b"Date: Wed, 06 Mar 2024 09:00:00 +0100", b"Date: Thu, 07 Mar 2024 18:00:00 +0100"]),
        "other zone": _headers([b"Subject: Zaproszenie na spotkanie \xc5\x82\xc3\xb3d\xc5\xba",
                                pacific.strftime("Date: %a, %d %b %Y %H:%M:%S %z").encode()]),
        "iso date": _headers([b"Subject: Date au format ISO", b"Date: 2024-03-08T08:15:00+01:00"]),
        "no zone": _headers([b"Subject: Sans fuseau", b"Date: Fri, 8 Mar 2024 08:20:00"]),
        "garbage date": _headers([b"Subject: \xd8\xaa\xd9\x82\xd8\xb1\xd9\x8a\xd8\xb1 \xd8\xb4\xd9\x87\xd8\xb1\xd9\x8a",
                                  b"Date: le mardi vers midi"]),
    }
    raws = {path.name: path.read_bytes() for path in CORPUS} | made
    put_mail(user, list(raws.values()))
    found = dict(zip(raws, uids(user), strict=True))

    listing = signed_in_client.get("/mail/").content.decode()
    rows = _rows(listing)
    assert set(rows) == set(found.values())
    for name, uid in found.items():
        subject, iso, shown = rows[uid]
        opened_subject, opened_iso = _opened(signed_in_client, uid)
        assert opened_subject == subject, name
        assert opened_iso is not None and shown, name  # no Date header: the arrival time, in both
        assert datetime.fromisoformat(opened_iso) == datetime.fromisoformat(iso), name

    assert rows[found["latin-1"]][0] == "Réunion du comité à l'hôtel de ville"
    assert rows[found["two subjects"]][0] == "Facture n° 2024-118"  # the first, as the pane's other headers
    assert datetime.fromisoformat(rows[found["two subjects"]][1]) == datetime(2024, 3, 6, 8, 0, tzinfo=UTC)
    assert rows[found["18-duplicate-headers.eml"]][0] == "The real subject"
    assert rows[found["27-encoded-word-unknown-charset.eml"]][0] == "café and more"
    # A Date of 23:30 in California is the next morning in Paris (the user's zone): listed that day.
    paris = evening.astimezone(ZoneInfo("Europe/Paris"))
    assert datetime.fromisoformat(rows[found["other zone"]][1]) == evening
    if paris.year == datetime.now(ZoneInfo("Europe/Paris")).year:
        assert rows[found["other zone"]][2] == f"{paris.day} {FRENCH_MONTHS[paris.month - 1]}"
    else:
        assert rows[found["other zone"]][2] == f"{paris:%d/%m/%Y}"


def test_the_day_of_the_list_is_written_in_the_users_language(signed_in_client, imap, uids):
    user = signed_in_client.mail_user
    today = datetime.now(ZoneInfo("Europe/Paris"))
    # A day of this year that is not today (early in January: the day after, still not today).
    day = today - timedelta(days=3) if today.timetuple().tm_yday > 3 else today + timedelta(days=3)
    when = day.replace(hour=12, minute=0, second=0, microsecond=0)
    raw = _headers([b"Subject: Ordre du jour", when.strftime("Date: %a, %d %b %Y %H:%M:%S %z").encode()])
    with imap(user) as mailbox:
        mailbox.append("INBOX", raw, when=when)  # arrived when written: only the wording is at stake
    [uid] = uids(user)

    french = _rows(signed_in_client.get("/mail/", HTTP_ACCEPT_LANGUAGE="fr").content.decode())[uid][2]
    assert french == f"{when.day} {FRENCH_MONTHS[when.month - 1]}"  # "29 nov.", as "déc." on the other pages
    assert f"{when.day} {ENGLISH_MONTHS[when.month - 1]}" != french
    signed_in_client.cookies["django_language"] = "en"
    english = _rows(signed_in_client.get("/mail/").content.decode())[uid][2]
    assert english == f"{ENGLISH_MONTHS[when.month - 1]} {when.day}"  # "Nov 29"


def test_the_list_and_the_pane_follow_the_users_time_zone_together(signed_in_client, put_mail, uids):
    """Arrived (INTERNALDATE) on one day, written (Date) on another: both pages say the Date."""
    user = signed_in_client.mail_user
    put_mail(user, [_headers([b"Subject: Rapport trimestriel", b"Date: Sat, 29 Nov 2025 23:11:00 -0500"])])
    [uid] = uids(user)  # 30 November 05:11 in Paris, the default zone
    assert _rows(signed_in_client.get("/mail/").content.decode())[uid][2] == "30/11/2025"
    page = signed_in_client.get(f"/mail/{uid}/", {"folder": "INBOX"}).content.decode()
    assert "30 novembre 2025 05:11" in page

    signed_in_client.post("/parametres/", preferences_data(time_zone="America/New_York"))
    assert _rows(signed_in_client.get("/mail/").content.decode())[uid][2] == "29/11/2025"
    assert "29 novembre 2025 23:11" in signed_in_client.get(f"/mail/{uid}/", {"folder": "INBOX"}).content.decode()


def test_the_quick_reading_of_common_dates_and_subjects_matches_the_general_one():
    """The list reads 50 rows a page: common Date headers and plain subjects skip the email
    package's general parsers, which must not change what is shown."""
    import random
    from email.utils import format_datetime, parsedate_to_datetime

    from webmail.mailbox import parse

    rng = random.Random(14)
    for _ in range(3000):
        zone = timedelta(minutes=rng.choice([-600, -480, -300, 0, 60, 120, 330, 345, 840]))
        moment = datetime(rng.randint(1990, 2040), 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 365 * 86400))
        text = format_datetime(moment.astimezone(timezone(zone)))
        if rng.random() < 0.3:
            text = text.split(", ", 1)[1]  # no weekday
        if rng.random() < 0.2:
            text = text.replace(" +0000", " -0000")  # zone unknown: UTC
        expected = parsedate_to_datetime(text)
        expected = expected if expected.tzinfo else expected.replace(tzinfo=UTC)
        got = parse.header_date(text)
        assert got == expected and got.utcoffset() == expected.utcoffset(), text
    assert parse.header_date("Mon, 31 Feb 2025 10:00:00 +0100") is None  # no such day, either way
    for subject in ["Compte rendu", "  Re:  Ordre   du jour ", "x" * 998, "x" * 1200, "Re: [liste] 50 % de remise"]:
        assert parse.header_text(subject) == parse._decode_unstructured(subject, "subject", None, parse.MAX_SUBJECT)
