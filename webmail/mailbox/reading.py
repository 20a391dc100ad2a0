"""The reading pane's domain logic: one raw message in, what the templates show out.

Parsing (parse.py), HTML sanitising (sanitize.py) and plain-text rendering (plaintext.py) are
plain modules; this one puts them together and decides what is remote, inline or attached. What
it makes of a message is kept in this process (`message_cache`): fetched, parsed and sanitised
once per (account, folder, UIDVALIDITY, UID); never its flags: a page shows those of its own
FETCH, or of the list page it was opened from (`read_for_page`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from webmail.imap.gateway import Mailbox, RawMessage
from webmail.mailbox.message_cache import FRAME_SECONDS, Entry, Listed, cache, new_entry
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


def read(mailbox: Mailbox, account: str, folder: str, uid: int, *, mark_seen: bool, with_folders: bool = False):
    """(cache entry, message with fresh flags, folders) for the reading pane; (None, None, folders)
    when the message is gone.

    One FETCH: the message's bytes only when this process does not hold them for the folder's
    UIDVALIDITY (`message_cache`), its FLAGS always. Parsed here once, then kept.
    """
    raw, folders = mailbox.open_message(
        folder, uid, mark_seen=mark_seen, with_folders=with_folders,
        have_body=lambda uidvalidity: cache.has(account, folder, uidvalidity, uid),
    )
    if raw is None:
        return None, None, folders
    cache.note_uidvalidity(account, folder, raw.uidvalidity)
    entry = cache.get(account, folder, raw.uidvalidity, uid) if raw.raw is None else None
    if entry is None:
        if raw.raw is None:  # dropped from the cache in between (expired, evicted): fetch it
            raw = mailbox.fetch_message(folder, uid)
            if raw is None:
                return None, None, folders
        entry = cache.put(new_entry(account, folder, raw.uidvalidity, uid, raw.raw, raw.subject, raw.date,
                                    parse_message(raw.raw)))
    return entry, replace(raw, raw=entry.raw, subject=entry.subject, date=entry.date), folders


def note_listed(account: str, folder: str, uidvalidity: int, rows, folders) -> None:
    """What a list page just showed (its rows' flags, the folder counts), for `read_for_page`."""
    flags = {e.uid: _flags_of(e) for e in rows}
    cache.note_listed(account, Listed(folder, uidvalidity, flags, list(folders), time.time()))


def _flags_of(row) -> frozenset[str]:
    named = (("\\Seen", row.seen), ("\\Flagged", row.flagged), ("\\Answered", row.answered))
    return frozenset(flag for flag, on in named if on)


def read_for_page(mailbox: Mailbox, account: str, folder: str, uid: int, changed_at: float):
    """`read` for the message page, marking the message read; without an IMAP round trip when
    the reader opens it from the list page just shown and this process holds it.

    Then the page shows the flags and folder counts that list page fetched: what the reader saw a
    moment ago, no older than LISTED_SECONDS, never from before a change the reader made since
    (`changed_at`, stamped on the session by every POST). Marking it read is sent without waiting
    for the answer (`Mailbox.mark_seen_unanswered`). A message not held is fetched in one round
    trip, without the folder counts the list page already has.
    """
    listed = cache.listed(account, folder, uid, not_before=changed_at)
    entry = cache.get(account, folder, listed.uidvalidity, uid) if listed else None
    if entry is not None and ("\\Seen" in listed.flags[uid]
                              or mailbox.mark_seen_unanswered(folder, listed.uidvalidity, uid)):
        listed.seen(uid)
        raw = RawMessage(folder, uid, listed.uidvalidity, listed.flags[uid], entry.raw, entry.subject, entry.date)
        return entry, raw, listed.folders
    entry, raw, found = read(mailbox, account, folder, uid, mark_seen=True, with_folders=listed is None)
    if listed is None:
        return entry, raw, found
    if raw is not None:
        listed.seen(uid)
    return entry, raw, listed.folders


def _sanitized(entry: Entry, allow: bool, image_salt: str, cid_url: Callable[[str], str | None]):
    # Image URLs are signed for one session (`image_salt`): the sanitised HTML is kept per session.
    return cache.render(entry, ("html", allow, image_salt),
                        lambda: sanitize_html(entry.parsed.html, allow_remote=allow, cid_url=cid_url))


def open_message(entry: Entry, raw: RawMessage, remote: bool, is_trusted: Callable[[str], bool],
                 image_salt: str, cid_url: Callable[[str], str | None]) -> OpenedMessage:
    """`remote`: the reader clicked "show images" for this message; `is_trusted(email)`: always for them.

    The HTML body is sanitised here, for the frame that the page embeds (`render_body`)."""
    parsed = entry.parsed
    entry.shown_at = time.monotonic()
    trusted = is_trusted(sender_of(parsed))
    entry.trust_shown[image_salt] = (entry.shown_at, trusted)
    allow = remote or trusted
    if parsed.html:
        blocked = _sanitized(entry, allow, image_salt, cid_url).blocked_remote
        return OpenedMessage(raw, parsed, True, "", blocked, allow, trusted)
    text = cache.render(entry, ("text", get_language()), lambda: _plain(parsed.text))
    return OpenedMessage(raw, parsed, False, text, False, allow, trusted)


def _plain(text: str | None) -> str:
    # Give the collapsed quote's "···" toggle a name screen readers can say.
    summary = format_html(
        '<summary><span aria-hidden="true">{}</span><span class="visually-hidden">{}</span></summary>',
        QUOTE_SUMMARY,
        _("Quoted text"),
    )
    return text_to_html(text or "").replace(f"<summary>{QUOTE_SUMMARY}</summary>", summary)


def render_body(entry: Entry, remote: bool, is_trusted: Callable[[str], bool], image_salt: str,
                cid_url: Callable[[str], str | None]) -> tuple[str, bool]:
    """(sanitised HTML for the sandboxed frame, whether remote content is allowed in it)."""
    parsed = entry.parsed
    allow = remote or _trusted_as_shown(entry, image_salt, is_trusted)
    if parsed.html:
        return _sanitized(entry, allow, image_salt, cid_url).html, allow
    return cache.render(entry, ("frame-text",),
                        lambda: f'<div class="plain">{text_to_html(parsed.text or "")}</div>'), allow


def _trusted_as_shown(entry: Entry, image_salt: str, is_trusted: Callable[[str], bool]) -> bool:
    """Whether the sender is trusted, as the message page just shown to this session decided (the
    frame then agrees with the page's "remote images" bar, and asks the database nothing); asked
    afresh when that page is older than FRAME_SECONDS."""
    shown_at, trusted = entry.trust_shown.get(image_salt, (0.0, False))
    if time.monotonic() - shown_at <= FRAME_SECONDS:
        return trusted
    return is_trusted(sender_of(entry.parsed))


def warm(entry: Entry, image_salt: str, cid_url: Callable[[str], str | None]) -> None:
    """What opening the message will need, made ahead (`prefetch`): its body as the frame shows
    it without remote images, or its text as the pane and the frame show it."""
    if entry.parsed.html:
        _sanitized(entry, False, image_salt, cid_url)
    else:
        cache.render(entry, ("text", get_language()), lambda: _plain(entry.parsed.text))
        cache.render(entry, ("frame-text",),
                     lambda: f'<div class="plain">{text_to_html(entry.parsed.text or "")}</div>')
