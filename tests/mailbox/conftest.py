"""Helpers to put mail in a test account: build messages and append them in one IMAP command."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest


def build(
    subject: str = "Bonjour",
    body: str = "Un message.",
    sender: str = "Claire Martin <claire@example.fr>",
    to: str = "alice@example.test",
    cc: str = "",
    html: str | None = None,
    date: datetime | None = None,
    attachments: list[tuple[str, str, bytes]] = (),
    headers: dict[str, str] | None = None,
) -> bytes:
    """A message; `headers` adds others (Message-ID, In-Reply-To, References…)."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    if date:
        message["Date"] = format_datetime(date)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


@pytest.fixture
def put_mail(imap):
    """put_mail(user, [raw, ...], folder="INBOX", flags=()) appends in one MULTIAPPEND."""

    def put(user, raws, folder: str = "INBOX", flags: tuple[str, ...] = ()):
        with imap(user) as mailbox:
            mailbox.append_many(folder, list(raws), flags)

    return put


@pytest.fixture
def uids(imap):
    """uids(user, folder) -> the folder's UIDs, oldest first."""

    def find(user, folder: str = "INBOX", criteria=None):
        with imap(user) as mailbox:
            return mailbox.search(folder, criteria or ["ALL"])

    return find


@pytest.fixture
def flags_of(imap):
    def flags(user, folder: str, uid: int) -> set[str]:
        with imap(user) as mailbox:
            return set(mailbox.fetch_message(folder, uid).flags)

    return flags
