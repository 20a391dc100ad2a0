"""Writing mail: start a composition (new, reply, forward, from a draft), save it to Drafts, discard it."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape

from webmail.accounts.mail import open_mailbox
from webmail.accounts.models import MailAccount
from webmail.compose import building, replies, richtext
from webmail.compose.models import Attachment, Composition
from webmail.core.crypto import CredentialsUnreadable
from webmail.identities import service as identities
from webmail.imap.gateway import MailServerError
from webmail.mailbox.parse import get_part, parse_message


class OriginalNotFound(Exception):
    """The message to answer or forward, or the draft to continue, is no longer there."""


def drafts_folder(mailbox) -> str:
    return mailbox.special_folder("\\Drafts") or "Drafts"


def sent_folder(mailbox) -> str:
    return mailbox.special_folder("\\Sent") or "Sent"


def fetch_original(account: MailAccount, folder: str, uid: int) -> bytes:
    with open_mailbox(account) as mailbox:
        raw = mailbox.fetch_raw(folder, uid)
    if raw is None:
        raise OriginalNotFound(f"{folder}/{uid}")
    return raw


def writes_rich(user) -> bool:
    from webmail.identities.service import writing_preferences

    return not writing_preferences(user).plain_text


def start_new(user, *, to: str = "") -> Composition:
    identity = identities.default_identity(user)
    return Composition.objects.create(
        user=user, to=to, identity=identity, signature=identities.signature_for(identity, reply=False),
        body_html="<div><br></div>" if writes_rich(user) else "",
    )


def _addressed_to(raw: bytes, original) -> list[str]:
    """Where the original was delivered: Delivered-To first (the alias it really came through),
    then To and Cc."""
    from email import message_from_bytes, policy

    delivered = message_from_bytes(raw, policy=policy.compat32).get_all("Delivered-To") or []
    return [str(d) for d in delivered] + [a.email for a in [*original.to, *original.cc]]


def quoted_html(original, attribution: str) -> str:
    """The original as HTML in a blockquote: its own HTML sanitised by the reading pane's rules (no
    remote content), or its text."""
    body = richtext.clean(original.html) if original.html else richtext.from_text(original.text or "")
    return f"<div>{escape(attribution)}</div>\n{richtext.quote(body)}"


def start_reply(user, folder: str, uid: int, *, reply_all: bool) -> Composition:
    account = user.mail_account
    raw = fetch_original(account, folder, uid)
    original = parse_message(raw)
    identity = identities.identity_for(user, _addressed_to(raw, original))
    to, cc = replies.reply_recipients(original, identity.email, reply_all)
    in_reply_to, references = replies.references(original)
    rich = writes_rich(user)
    return Composition.objects.create(
        user=user, to=to, cc=cc, subject=replies.reply_subject(original.subject),
        identity=identity, signature=identities.signature_for(identity, reply=True),
        body_html="<div><br></div>" if rich else "", quote=replies.quoted_reply(original),
        quote_html=quoted_html(original, replies.attribution(original)) if rich else "",
        in_reply_to=in_reply_to, references=references, reply_folder=folder, reply_uid=uid,
        reply_all=reply_all,
    )


@transaction.atomic
def start_forward(user, folder: str, uid: int) -> Composition:
    raw = fetch_original(user.mail_account, folder, uid)
    original = parse_message(raw)
    identity = identities.identity_for(user, _addressed_to(raw, original))
    rich = writes_rich(user)
    quote_html = ""
    if rich:
        header = richtext.from_text(replies.forwarded_header(original))
        # The original's inline images (a logo, a photo in the text) come along inside the HTML,
        # as they do in a draft; _copy_attachments then leaves them out of the attachments.
        body = (richtext.clean(original.html, inline_parts=_inline_parts(raw, original)) if original.html
                else richtext.from_text(original.text or ""))
        quote_html = f"<div>{header}</div>\n<div>{body}</div>"
    composition = Composition.objects.create(
        user=user, subject=replies.forward_subject(original.subject), identity=identity,
        signature=identities.signature_for(identity, reply=True), body_html="<div><br></div>" if rich else "",
        quote=replies.forwarded_block(original), quote_html=quote_html,
    )
    _copy_attachments(raw, original, composition)
    return composition


def _inline_parts(raw: bytes, parsed) -> dict[str, tuple[bytes, str]]:
    """Content-ID → (bytes, type) of the message's inline parts."""
    found = {a.content_id: get_part(raw, a.part_id) for a in parsed.attachments if a.inline and a.content_id}
    return {content_id: (part[0], part[1]) for content_id, part in found.items() if part is not None}


def _draft_fields(raw: bytes, draft) -> dict:
    """The From identity and the HTML of a message read back from its bytes (a draft, a copy)."""
    from email.utils import parseaddr

    user_fields = {}
    sender = parseaddr(_header(raw, "From"))[1]
    if sender:
        user_fields["sender"] = sender
    if draft.html:
        images = {a.content_id: get_part(raw, a.part_id) for a in draft.attachments if a.inline and a.content_id}
        parts = {cid: (found[0], found[1]) for cid, found in images.items() if found is not None}
        user_fields["body_html"] = richtext.clean(richtext.with_data_images(draft.html, parts))
    return user_fields


@transaction.atomic
def continue_draft(user, uid: int) -> Composition:
    """Open a message from Brouillons in the compose view; saving replaces that same draft."""
    account = user.mail_account
    with open_mailbox(account) as mailbox:
        folder = drafts_folder(mailbox)
        raw = mailbox.fetch_raw(folder, uid)
    if raw is None:
        raise OriginalNotFound(f"draft {uid}")
    draft = parse_message(raw)
    existing = Composition.objects.filter(user=user, draft_uid=uid).first()
    if existing is not None:
        return existing
    composition = Composition.objects.create(
        user=user, to=replies.format_addresses(draft.to), cc=replies.format_addresses(draft.cc), bcc=_header(raw, "Bcc"),
        subject=draft.subject, body=(draft.text or "").rstrip("\r\n"), in_reply_to=draft.in_reply_to or "",
        references=" ".join(draft.references), draft_uid=uid, **_as_written(user, raw, draft),
    )
    _copy_attachments(raw, draft, composition)
    return composition


@transaction.atomic
def start_copy(user, raw: bytes, *, only: list[str]) -> Composition:
    """A new composition copying a message already built (its subject, text, attachments and reply
    headers, read from its bytes) for some of its recipients only: `only`, envelope addresses, keep
    the field they were in, To or Cc, and the others go to Bcc (which the bytes never show)."""
    message = parse_message(raw)
    wanted = {address.lower() for address in only}
    to = [a for a in message.to if a.email.lower() in wanted]
    in_to = {a.email.lower() for a in to}
    cc = [a for a in message.cc if a.email.lower() in wanted - in_to]
    shown = in_to | {a.email.lower() for a in cc}
    bcc = [address for address in only if address.lower() not in shown]
    composition = Composition.objects.create(
        user=user, to=replies.format_addresses(to), cc=replies.format_addresses(cc), bcc=", ".join(bcc),
        subject=message.subject, body=(message.text or "").rstrip("\r\n"), in_reply_to=message.in_reply_to or "",
        references=" ".join(message.references), **_as_written(user, raw, message),
    )
    _copy_attachments(raw, message, composition)
    return composition


def _as_written(user, raw: bytes, message) -> dict:
    """Identity and formatting of a message read back from its bytes: its From picks the identity
    (no signature is added: the text already has it), its HTML (inline images back as data: URLs)
    stays rich."""
    fields = _draft_fields(raw, message)
    sender = fields.pop("sender", "")
    return {"identity": identities.identity_for(user, [sender]), **fields}


def _header(raw: bytes, name: str) -> str:
    from email import message_from_bytes, policy

    value = message_from_bytes(raw, policy=policy.default).get(name)
    return str(value) if value else ""


def _copy_attachments(raw: bytes, parsed, composition: Composition) -> None:
    for attachment in parsed.attachments:
        if composition.body_html and attachment.inline and f"cid:{attachment.content_id}" in (parsed.html or ""):
            continue  # an image of the HTML body: it travels inside body_html (see _draft_fields)
        part = get_part(raw, attachment.part_id)
        if part is None:
            continue
        data, content_type, filename = part
        Attachment.objects.create(
            composition=composition, filename=filename, content_type=content_type, size=len(data), data=data
        )


def save_draft(composition: Composition) -> None:
    """Store the composition in Drafts, replacing its previous copy (no pile of duplicates)."""
    account = composition.user.mail_account
    message = building.build(composition, building.from_header(composition), building.new_message_id(account.email),
                             for_draft=True)
    with open_mailbox(account) as mailbox:
        folder = drafts_folder(mailbox)
        new_uid = mailbox.append(folder, building.as_bytes(message), flags=("\\Draft", "\\Seen"))
        if composition.draft_uid and composition.draft_uid != new_uid:
            mailbox.delete_permanently(folder, [composition.draft_uid])
    composition.draft_uid = new_uid
    composition.save(update_fields=["draft_uid", "updated_at"])


def remove_draft_copy(composition: Composition) -> None:
    if not composition.draft_uid:
        return
    with open_mailbox(composition.user.mail_account) as mailbox:
        mailbox.delete_permanently(drafts_folder(mailbox), [composition.draft_uid])


def discard_draft_copy(composition: Composition) -> None:
    """Take the draft out of Drafts (when it is scheduled); an IMAP failure only leaves a copy there."""
    try:
        remove_draft_copy(composition)
    except (MailServerError, CredentialsUnreadable):
        return
    Composition.objects.filter(pk=composition.pk).update(draft_uid=None)
    composition.draft_uid = None


def discard(composition: Composition) -> None:
    remove_draft_copy(composition)
    composition.delete()


def forget_abandoned(older_than_days: int = 30) -> int:
    """Compositions opened and left without a draft copy or a send: nothing of the user's is lost."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    abandoned = Composition.objects.filter(updated_at__lt=cutoff, draft_uid__isnull=True, sends__isnull=True)
    _, per_model = abandoned.delete()
    return per_model.get("compose.Composition", 0)


def drop_quote(composition: Composition) -> None:
    """"Retirer la citation": the original is no longer quoted under the signature."""
    composition.quote = composition.quote_html = ""
    composition.save(update_fields=["quote", "quote_html", "updated_at"])


class TemplateTooLarge(Exception):
    """The template's files would take the message over the attachments limit."""


@transaction.atomic
def insert_template(composition: Composition, template_id: str) -> bool:
    """A template's text goes where the user writes, before what is there; its subject fills an
    empty subject; its files (if it kept any) are attached. False when it is not one of the user's
    templates; TemplateTooLarge when its files would pass the size limit (nothing is changed)."""
    from webmail.identities.models import Template

    template = Template.objects.filter(user=composition.user, pk=template_id if template_id.isdigit() else 0).first()
    if template is None:
        return False
    files = list(template.attachments.all())
    if composition.attachments_size + sum(f.size for f in files) > settings.ATTACHMENTS_MAX_BYTES:
        raise TemplateTooLarge(template.pk)
    Attachment.objects.bulk_create(
        Attachment(composition=composition, filename=f.filename, content_type=f.content_type, size=f.size,
                   data=bytes(f.data))
        for f in files
    )
    if composition.is_rich:
        inserted = template.html or richtext.from_text(template.text)
        current = composition.body_html if richtext.to_text(composition.body_html).strip() else ""
        composition.body_html = f"<div>{inserted}</div>{current}"
        composition.body = richtext.to_text(composition.body_html)
    else:
        composition.body = "\n\n".join(part for part in (template.text, composition.body.strip("\n")) if part)
    if not composition.subject.strip():
        composition.subject = template.subject
    composition.save(update_fields=["body", "body_html", "subject", "updated_at"])
    return True
