"""The reading pane's domain logic: one raw message in, what the templates show out.

Parsing (parse.py), HTML sanitising (sanitize.py) and plain-text rendering (plaintext.py) are
plain modules; this one puts them together and decides what is remote, inline or attached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.translation import gettext as _

from webmail.imap.gateway import RawMessage
from webmail.mailbox.parse import Attachment, ParsedMessage, parse_message
from webmail.mailbox.plaintext import QUOTE_SUMMARY, text_to_html
from webmail.mailbox.sanitize import sanitize_html

# Types a browser could run script in: never shown inline, always downloaded as opaque bytes.
ACTIVE_TYPES = ("text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml")


def is_active_type(content_type: str) -> bool:
    content_type = content_type.lower()
    return content_type in ACTIVE_TYPES or content_type.endswith("+xml") or "javascript" in content_type


def sender_of(parsed: ParsedMessage) -> str:
    return parsed.from_[0].email.lower() if parsed.from_ else ""


@dataclass(frozen=True)
class OpenedMessage:
    raw: RawMessage
    parsed: ParsedMessage
    has_html: bool
    text_html: str  # the plain-text body as safe HTML, when there is no HTML body
    blocked_remote: bool  # the HTML body has remote content that was not loaded
    remote_allowed: bool
    sender_trusted: bool

    @property
    def sender_email(self) -> str:
        return sender_of(self.parsed)

    @property
    def subject(self) -> str:
        """As the message list shows it (the gateway reads both the same way)."""
        return self.raw.subject

    @property
    def date(self):
        """The Date header, else when the message arrived; as the message list shows it."""
        return self.raw.date

    @property
    def attachments(self) -> list[Attachment]:
        """What the reader can download: everything except images shown inside the HTML body."""
        if not self.has_html:
            return list(self.parsed.attachments)
        return [a for a in self.parsed.attachments if not (a.inline and a.content_id)]


def open_message(raw: RawMessage, remote: bool, is_trusted: Callable[[str], bool]) -> OpenedMessage:
    """`remote`: the reader clicked "show images" for this message; `is_trusted(email)`: always for them."""
    parsed = parse_message(raw.raw)
    trusted = is_trusted(sender_of(parsed))
    allow = remote or trusted
    if parsed.html:
        # Sanitised here only to learn whether remote content was blocked; the body URL renders it.
        blocked = sanitize_html(parsed.html, allow_remote=allow).blocked_remote
        return OpenedMessage(raw, parsed, True, "", blocked, allow, trusted)
    return OpenedMessage(raw, parsed, False, _plain(parsed.text), False, allow, trusted)


def _plain(text: str | None) -> str:
    # Give the collapsed quote's "···" toggle a name screen readers can say.
    summary = format_html(
        '<summary><span aria-hidden="true">{}</span><span class="visually-hidden">{}</span></summary>',
        QUOTE_SUMMARY,
        _("Quoted text"),
    )
    return text_to_html(text or "").replace(f"<summary>{QUOTE_SUMMARY}</summary>", summary)


def render_body(
    raw: bytes, remote: bool, is_trusted: Callable[[str], bool], cid_url: Callable[[str], str | None]
) -> tuple[str, bool]:
    """(sanitised HTML for the sandboxed frame, whether remote content is allowed in it)."""
    parsed = parse_message(raw)
    allow = remote or is_trusted(sender_of(parsed))
    if parsed.html:
        return sanitize_html(parsed.html, allow_remote=allow, cid_url=cid_url).html, allow
    return f'<div class="plain">{text_to_html(parsed.text or "")}</div>', allow
