"""Every malformed message of the corpus opens over HTTP: 200, what can be shown, and a notice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from webmail.mailbox.parse import parse_message

pytestmark = [pytest.mark.imap, pytest.mark.django_db]

CORPUS = sorted((Path(__file__).parent / "malformed").glob("*.eml"))


def _generated() -> dict[str, bytes]:
    deep = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(120)
    )
    return {
        "huge-header": b"Subject: " + b"x" * 200_000 + b"\r\nFrom: a@example.fr\r\n\r\nbody\r\n",
        "deep-nesting": b"From: a@example.fr\r\nSubject: deep\r\nMIME-Version: 1.0\r\n" + deep + b"fin\r\n",
        "many-headers": b"".join(b"X-H%d: v\r\n" % i for i in range(5000)) + b"Subject: many\r\n\r\nbody\r\n",
    }


def test_each_malformed_message_opens_with_a_notice(signed_in_client, put_mail, uids):
    user = signed_in_client.mail_user
    raws = {path.name: path.read_bytes() for path in CORPUS} | _generated()
    assert len(raws) >= 30
    put_mail(user, list(raws.values()))
    found = uids(user)
    assert len(found) == len(raws)
    for (name, raw), uid in zip(raws.items(), found, strict=True):
        response = signed_in_client.get(f"/mail/{uid}/", {"folder": "INBOX"})
        assert response.status_code == 200, name
        html = response.content.decode()
        if parse_message(raw).notices:
            assert "Ce message est abîmé ou inhabituel" in html, name
        frame = re.search(r'<iframe[^>]* src="([^"]+)"', html)
        if frame:
            assert signed_in_client.get(frame.group(1).replace("&amp;", "&")).status_code == 200, name
        for link in re.findall(r'href="(/mail/\d+/pieces/[^"]+)"', html):
            assert signed_in_client.get(link.replace("&amp;", "&")).status_code == 200, (name, link)
    listing = signed_in_client.get("/mail/")
    assert listing.status_code == 200
