"""Reply, reply-all and forward: who to, which subject, which threading headers, what quoted."""

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from webmail.mailbox.conversations import strip_prefixes  # "Re: TR: Odp:" of every language
from webmail.mailbox.parse import Address, ParsedMessage


def reply_subject(subject: str) -> str:
    return (_("Re: %(subject)s") % {"subject": strip_prefixes(subject)}).strip()


def forward_subject(subject: str) -> str:
    return (_("Fwd: %(subject)s") % {"subject": strip_prefixes(subject)}).strip()


def format_addresses(addresses: list[Address]) -> str:
    """As a recipient field shows them: "Name" <email>, comma-separated."""
    return ", ".join(f'"{a.name}" <{a.email}>' if a.name else a.email for a in addresses)


def references(original: ParsedMessage) -> tuple[str, str]:
    """(In-Reply-To, References) for an answer to `original` (RFC 5322 §3.6.4)."""
    if not original.message_id:
        return "", " ".join(original.references)
    chain = [*original.references, original.message_id]
    return original.message_id, " ".join(chain[-20:])  # keep the header a sensible size


def reply_recipients(original: ParsedMessage, me: str, reply_all: bool) -> tuple[str, str]:
    """(To, Cc): Reply-To wins over From; reply-all adds the others, never ourselves, never twice."""
    primary = original.reply_to or original.from_
    if not reply_all:
        return format_addresses(primary), ""
    mine = me.lower()
    seen = {a.email.lower() for a in primary} | {mine}
    others = []
    for address in [*original.to, *original.cc]:
        if address.email.lower() not in seen:
            seen.add(address.email.lower())
            others.append(address)
    to = [a for a in primary if a.email.lower() != mine] or primary
    return format_addresses(to), format_addresses(others)


def _sender(original: ParsedMessage) -> str:
    if not original.from_:
        return _("someone")
    first = original.from_[0]
    return f"{first.name} <{first.email}>" if first.name else first.email


def _when(original: ParsedMessage) -> str:
    """The original's date in the replying user's time zone, as other webmails write it."""
    return formats.date_format(timezone.localtime(original.date), "DATETIME_FORMAT") if original.date else ""


def attribution(original: ParsedMessage) -> str:
    """"Le 20 novembre 2026 09:30, Bob <bob@x.fr> a écrit :" in the user's language and zone."""
    return _("On %(date)s, %(sender)s wrote:") % {"date": _when(original), "sender": _sender(original)}


def quoted_reply(original: ParsedMessage) -> str:
    text = original.text or ""
    quoted = "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
    return f"{attribution(original)}\n{quoted}"


def forwarded_header(original: ParsedMessage) -> str:
    lines = [
        _("---------- Forwarded message ----------"),
        _("From: %(sender)s") % {"sender": _sender(original)},
    ]
    if original.date:
        lines.append(_("Date: %(date)s") % {"date": _when(original)})
    lines.append(_("Subject: %(subject)s") % {"subject": original.subject})
    if original.to:
        lines.append(_("To: %(recipients)s") % {"recipients": format_addresses(original.to)})
    return "\n".join(lines)


def forwarded_block(original: ParsedMessage) -> str:
    return forwarded_header(original) + "\n\n" + (original.text or "")


def with_signature(body: str, signature: str, quoted: str = "") -> str:
    """The signature goes under what the user writes and above any quoted text."""
    parts = [body]
    if signature.strip():
        parts.append(f"-- \n{signature.strip()}")
    if quoted:
        parts.append(quoted)
    return "\n\n".join(parts)
