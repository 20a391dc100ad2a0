"""Turn a composition into a MIME message with Django's mail API."""

from email import encoders
from email.mime.base import MIMEBase
from email.utils import make_msgid

from django.core.mail import EmailMessage

from webmail.compose.addresses import parse_recipients
from webmail.compose.headers import one_line
from webmail.compose.models import Attachment, Composition


def new_message_id(sender_email: str) -> str:
    domain = sender_email.rsplit("@", 1)[-1] or "localhost"
    return make_msgid(domain=domain.encode("idna").decode("ascii"))


def build(composition: Composition, sender: str, message_id: str, *, for_draft: bool = False) -> EmailMessage:
    """The message as it will leave. A draft copy also keeps Bcc, which a sent message must not show.

    Header values go through `one_line` here too, not only in the form: a row stored before the
    form folded line breaks, or written by other code, must never make the worker crash."""
    to = [r.formatted() for r in parse_recipients(composition.to).valid]
    cc = [r.formatted() for r in parse_recipients(composition.cc).valid]
    bcc = [r.formatted() for r in parse_recipients(composition.bcc).valid]
    headers = {"Message-ID": message_id}
    if composition.in_reply_to:
        headers["In-Reply-To"] = one_line(composition.in_reply_to)
    if composition.references:
        headers["References"] = one_line(composition.references)
    if for_draft and bcc:
        headers["Bcc"] = ", ".join(bcc)
    message = EmailMessage(
        subject=one_line(composition.subject), body=composition.body, from_email=sender,
        to=to, cc=cc, bcc=bcc, headers=headers,
    )
    for attachment in composition.attachments.all():
        if attachment.content_type.lower() == "message/rfc822":
            message.attach(one_line(attachment.filename), bytes(attachment.data), attachment.content_type)
        else:
            message.attach(_file_part(attachment))
    return message


def _file_part(attachment: Attachment) -> MIMEBase:
    """A file travels base64-encoded, byte for byte. Django's attach() would decode a text/* file
    and re-encode it with the message's line ends (a CSV or a script arrived changed), and it
    fails on a content type without a slash. message/rfc822 stays with Django: RFC 2046 forbids
    base64 there."""
    maintype, _, subtype = attachment.content_type.partition("/")
    part = MIMEBase(maintype or "application", subtype or "octet-stream")
    part.set_payload(bytes(attachment.data))
    encoders.encode_base64(part)
    name = one_line(attachment.filename)
    part.add_header("Content-Disposition", "attachment", filename=name if name.isascii() else ("utf-8", "", name))
    return part


def as_bytes(message: EmailMessage) -> bytes:
    """The message as RFC 5322 bytes: CRLF line ends (RFC 5321 §2.3.8), which SMTP servers
    require since the SMTP-smuggling fixes and IMAP APPEND expects. Django's default is bare LF;
    smtplib converts str but sends bytes as given. The last line ends too, as smtplib would end it
    on the wire, so the copy filed in Envoyés is byte for byte the message that left."""
    raw = message.message().as_bytes(linesep="\r\n")
    return raw if raw.endswith(b"\r\n") else raw + b"\r\n"


def envelope_recipients(composition: Composition) -> list[str]:
    fields = (composition.to, composition.cc, composition.bcc)
    return [r.email for field in fields for r in parse_recipients(field).valid]
