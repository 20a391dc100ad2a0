"""Turn a composition into a MIME message with Django's mail API."""

from email import encoders
from email.headerregistry import Address
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart

from webmail.compose import richtext
from webmail.compose.addresses import parse_recipients
from webmail.compose.headers import one_line
from webmail.compose.models import Attachment, Composition


def new_message_id(sender_email: str) -> str:
    domain = sender_email.rsplit("@", 1)[-1] or "localhost"
    return make_msgid(domain=domain.encode("idna").decode("ascii"))


def _identity(composition: Composition):
    from webmail.identities.service import default_identity

    return composition.identity or default_identity(composition.user)


def from_header(composition: Composition) -> str:
    """"Alice Martin" <alice@…>: the identity's name and address (Django encodes a non-ASCII name
    as RFC 2047 words); the bare address when the identity has no name."""
    identity = _identity(composition)
    name = one_line(identity.name)
    if not name:
        return identity.email
    local, _, domain = identity.email.rpartition("@")
    return str(Address(display_name=name, username=local, domain=domain))


def envelope_sender(composition: Composition) -> str:
    """MAIL FROM is the identity's own address, not always the account's: the submission server
    then decides whether this account may send as it (Postfix's reject_sender_login_mismatch), and
    bounces and SPF follow the address the recipient sees."""
    return _identity(composition).email


def full_text(composition: Composition) -> str:
    """The text that leaves: what was typed, the signature ("-- " once), the quoted original."""
    from webmail.identities.service import signature_text

    parts = [composition.body.rstrip(), signature_text(composition.signature), composition.quote.strip("\n")]
    return "\n\n".join(part for part in parts if part)


def full_html(composition: Composition) -> str:
    """The HTML that leaves, for a rich message: the same three parts, each already sanitised."""
    from webmail.identities.service import signature_html

    quote = composition.quote_html or (richtext.from_text(composition.quote) if composition.quote.strip() else "")
    parts = [composition.body_html, signature_html(composition.signature), quote]
    inner = "\n<br>\n".join(part for part in parts if part)
    return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n<div>{inner}</div>\n</body></html>'


class _RichMessage(EmailMultiAlternatives):
    """multipart/alternative of the text and the HTML, the HTML in a multipart/related with its
    inline images when it has some (RFC 2387), as mail clients expect them."""

    def __init__(self, *args, images: list[richtext.InlineImage], **kwargs):
        super().__init__(*args, **kwargs)
        self.images = images

    def _create_alternatives(self, msg):
        if not self.images:
            return super()._create_alternatives(msg)
        encoding = self.encoding or settings.DEFAULT_CHARSET
        related = SafeMIMEMultipart(_subtype="related", encoding=encoding)
        related.attach(self._create_mime_attachment(self.alternatives[0].content, "text/html"))
        for image in self.images:
            part = MIMEImage(image.data, _subtype=image.content_type.split("/", 1)[1])
            part.add_header("Content-ID", f"<{image.content_id}>")
            part.add_header("Content-Disposition", "inline")
            related.attach(part)
        alternative = SafeMIMEMultipart(_subtype="alternative", encoding=encoding)
        alternative.attach(msg)
        alternative.attach(related)
        return alternative


def build(composition: Composition, sender: str, message_id: str, *, for_draft: bool = False) -> EmailMessage:
    """The message as it will leave. A draft copy also keeps Bcc, which a sent message must not show.
    `sender` is the From header (see `from_header`).

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
    identity = _identity(composition)
    reply_to = [identity.reply_to] if identity.reply_to else None
    fields = dict(subject=one_line(composition.subject), body=full_text(composition), from_email=sender,
                  to=to, cc=cc, bcc=bcc, headers=headers, reply_to=reply_to)
    if composition.is_rich:
        domain = identity.email.rsplit("@", 1)[-1].encode("idna").decode("ascii") or "webmail"
        markup, images = richtext.inline_images(full_html(composition), domain)
        message = _RichMessage(**fields, images=images)
        message.attach_alternative(markup, "text/html")
    else:
        message = EmailMessage(**fields)
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
