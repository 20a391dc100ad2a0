"""Writing mail: start a composition (new, reply, forward, from a draft), save it to Drafts, discard it."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from webmail.accounts.mail import open_mailbox
from webmail.accounts.models import MailAccount
from webmail.compose import building, replies
from webmail.compose.models import Attachment, Composition
from webmail.core.crypto import CredentialsUnreadable
from webmail.imap.gateway import MailServerError
from webmail.mailbox.parse import get_part, parse_message
from webmail.preferences.models import Preferences


class OriginalNotFound(Exception):
    """The message to answer or forward, or the draft to continue, is no longer there."""


def drafts_folder(mailbox) -> str:
    return mailbox.special_folder("\\Drafts") or "Drafts"


def sent_folder(mailbox) -> str:
    return mailbox.special_folder("\\Sent") or "Sent"


def _fetch_original(account: MailAccount, folder: str, uid: int) -> bytes:
    with open_mailbox(account) as mailbox:
        raw = mailbox.fetch_raw(folder, uid)
    if raw is None:
        raise OriginalNotFound(f"{folder}/{uid}")
    return raw


def start_new(user, *, to: str = "") -> Composition:
    signature = Preferences.for_user(user).signature
    return Composition.objects.create(user=user, to=to, body=replies.with_signature("", signature))


def start_reply(user, folder: str, uid: int, *, reply_all: bool) -> Composition:
    account = user.mail_account
    original = parse_message(_fetch_original(account, folder, uid))
    to, cc = replies.reply_recipients(original, account.email, reply_all)
    in_reply_to, references = replies.references(original)
    signature = Preferences.for_user(user).signature
    return Composition.objects.create(
        user=user, to=to, cc=cc, subject=replies.reply_subject(original.subject),
        body=replies.with_signature("", signature, replies.quoted_reply(original)),
        in_reply_to=in_reply_to, references=references, reply_folder=folder, reply_uid=uid,
        reply_all=reply_all,
    )


@transaction.atomic
def start_forward(user, folder: str, uid: int) -> Composition:
    raw = _fetch_original(user.mail_account, folder, uid)
    original = parse_message(raw)
    signature = Preferences.for_user(user).signature
    composition = Composition.objects.create(
        user=user, subject=replies.forward_subject(original.subject),
        body=replies.with_signature("", signature, replies.forwarded_block(original)),
    )
    _copy_attachments(raw, original, composition)
    return composition


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
        references=" ".join(draft.references), draft_uid=uid,
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
        references=" ".join(message.references),
    )
    _copy_attachments(raw, message, composition)
    return composition


def _header(raw: bytes, name: str) -> str:
    from email import message_from_bytes, policy

    value = message_from_bytes(raw, policy=policy.default).get(name)
    return str(value) if value else ""


def _copy_attachments(raw: bytes, parsed, composition: Composition) -> None:
    for attachment in parsed.attachments:
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
    message = building.build(composition, account.email, building.new_message_id(account.email), for_draft=True)
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
