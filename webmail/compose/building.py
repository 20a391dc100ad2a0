"""Turn a composition into a MIME message with Django's mail API."""

from email.utils import make_msgid

from django.core.mail import EmailMessage

from webmail.compose.addresses import parse_recipients
from webmail.compose.models import Composition


def new_message_id(sender_email: str) -> str:
    domain = sender_email.rsplit("@", 1)[-1] or "localhost"
    return make_msgid(domain=domain.encode("idna").decode("ascii"))


def build(composition: Composition, sender: str, message_id: str, *, for_draft: bool = False) -> EmailMessage:
    """The message as it will leave. A draft copy also keeps Bcc, which a sent message must not show."""
    to = [r.formatted() for r in parse_recipients(composition.to).valid]
    cc = [r.formatted() for r in parse_recipients(composition.cc).valid]
    bcc = [r.formatted() for r in parse_recipients(composition.bcc).valid]
    headers = {"Message-ID": message_id}
    if composition.in_reply_to:
        headers["In-Reply-To"] = composition.in_reply_to
    if composition.references:
        headers["References"] = composition.references
    if for_draft and bcc:
        headers["Bcc"] = ", ".join(bcc)
    message = EmailMessage(
        subject=composition.subject, body=composition.body, from_email=sender,
        to=to, cc=cc, bcc=bcc, headers=headers,
    )
    for attachment in composition.attachments.all():
        message.attach(attachment.filename, bytes(attachment.data), attachment.content_type)
    return message


def as_bytes(message: EmailMessage) -> bytes:
    """The message as RFC 5322 bytes: CRLF line ends (RFC 5321 §2.3.8), which SMTP servers
    require since the SMTP-smuggling fixes and IMAP APPEND expects. Django's default is bare LF;
    smtplib converts str but sends bytes as given."""
    return message.message().as_bytes(linesep="\r\n")


def envelope_recipients(composition: Composition) -> list[str]:
    fields = (composition.to, composition.cc, composition.bcc)
    return [r.email for field in fields for r in parse_recipients(field).valid]
