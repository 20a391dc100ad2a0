"""Follow-ups and snooze: the database says what is due, one conditional UPDATE claims each row,
the mail server says what happened to the message meanwhile.

Follow-up: at `due_at` one check (WAITING→CHECKING) looks for a reply in the user's folders: a
message, not from the user, whose In-Reply-To or References names the sent message or its thread.
Found: ANSWERED, nothing shown. None: FIRED, the sent message comes back at the top of the inbox
with Relancer and Ignorer. A reply that arrives after the check does not undo the reminder (it
was checked once, at its time); the banner offers Ignorer.

Snooze: the message moves to the snooze folder ("Reportés"); at `wake_at` one wake-up
(WAITING→WAKING) moves it back, unread. If it is no longer at its UID (moved or deleted meanwhile,
here or in another client), it is simply forgotten. A MOVE that names a UID already gone moves
nothing and the server's COPYUID says so, so a user moving it at the same moment wins cleanly.

A worker that dies mid-way leaves a row CHECKING/WAKING: the sweeper hands it back after
STALE_SECONDS; both jobs are safe to repeat (a search, a move by UID).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from webmail.accounts.mail import open_mailbox
from webmail.compose import corrections
from webmail.compose.models import Composition
from webmail.compose.service import sent_folder
from webmail.core.crypto import CredentialsUnreadable
from webmail.imap.gateway import MailServerError, Moved
from webmail.mailbox.parse import parse_message
from webmail.reminders.models import FollowUp, Snooze

log = logging.getLogger("webmail.reminders")

STALE_SECONDS = 600
SETTLE_SECONDS = 0.3  # see _move_back
SNOOZE_FOLDER = "Reportés"
# Folders where a reply never is.
NOT_REPLIES = ("\\Sent", "\\Drafts", "\\Trash", "\\Junk")
THREAD_IDS = 6  # the sent message and the last References before it


def _event(event: str, pk: int, **fields) -> None:
    log.info("reminders %s", event, extra={"event": f"reminders.{event}", "row_id": pk, **fields})


# Follow-ups -------------------------------------------------------------------------------------
def follow_up(user, raw: bytes, due_at: datetime, envelope: list[str] | None = None) -> FollowUp:
    """"Me le rappeler s'il n'y a pas de réponse" on the sent message `raw`."""
    sent = parse_message(raw)
    if not sent.message_id:
        raise ValueError("a sent message without Message-ID")
    recipients = corrections.recipients_of(raw, envelope).addresses()
    # Asked again (a double click, the toast then the Sent page): one reminder, at the newer time.
    row, _created = FollowUp.objects.update_or_create(
        user=user, message_id=sent.message_id, state=FollowUp.State.WAITING,
        defaults={"thread": [*sent.references[-(THREAD_IDS - 1):], sent.message_id], "subject": sent.subject,
                  "recipients": recipients, "sent_at": sent.date or timezone.now(), "due_at": due_at},
    )
    _event("follow_up_set", row.pk)
    return row


def _claim(model, pk: int, waiting: str, working: str, due_field: str) -> bool:
    now = timezone.now()
    return bool(model.objects.filter(pk=pk, state=waiting, **{f"{due_field}__lte": now}).update(
        state=working, claimed_at=now))


def check_follow_up(pk: int) -> str:
    """The worker's job for one due follow-up. Returns what happened (logs and tests)."""
    if not _claim(FollowUp, pk, FollowUp.State.WAITING, FollowUp.State.CHECKING, "due_at"):
        return "skipped"
    row = FollowUp.objects.select_related("user__mail_account").get(pk=pk)
    try:
        answered = has_reply(row)
    except (MailServerError, CredentialsUnreadable):
        FollowUp.objects.filter(pk=pk, state=FollowUp.State.CHECKING).update(state=FollowUp.State.WAITING)
        return "retry"
    outcome = FollowUp.State.ANSWERED if answered else FollowUp.State.FIRED
    FollowUp.objects.filter(pk=pk, state=FollowUp.State.CHECKING).update(state=outcome, fired_at=timezone.now())
    _event(str(outcome), pk)
    return str(outcome)


def has_reply(row: FollowUp) -> bool:
    account = row.user.mail_account
    me = account.email
    with open_mailbox(account) as mailbox:
        folders = [name for name, use in mailbox.folder_names().items()
                   if use not in NOT_REPLIES and name != SNOOZE_FOLDER]
        for folder in folders:
            for message_id in row.thread:
                for header in ("In-Reply-To", "References"):
                    if mailbox.search(folder, ["HEADER", header, message_id, "NOT", "FROM", me]):
                        return True
    return False


def fired(user) -> list[FollowUp]:
    """What the inbox shows at its top: reminders that found no reply, newest first."""
    return list(FollowUp.objects.filter(user=user, state=FollowUp.State.FIRED).order_by("-fired_at")[:20])


def ignore(user, pk: int) -> bool:
    return bool(FollowUp.objects.filter(pk=pk, user=user, state=FollowUp.State.FIRED).update(
        state=FollowUp.State.DONE))


class NoSentCopy(Exception):
    """The sent message is no longer in Sent."""


def relaunch(user, pk: int) -> Composition:
    """Relancer: a follow-up in the same thread to the same people (Bcc kept in Bcc)."""
    row = FollowUp.objects.get(pk=pk, user=user, state__in=[FollowUp.State.FIRED, FollowUp.State.DONE])
    with open_mailbox(user.mail_account) as mailbox:
        folder = sent_folder(mailbox)
        found = mailbox.search_header(folder, "Message-ID", row.message_id)
        raw = mailbox.fetch_raw(folder, found[-1]) if found else None
    if raw is None:
        raise NoSentCopy(pk)
    composition = corrections.start_follow_up(user, raw, envelope=list(row.recipients))
    FollowUp.objects.filter(pk=pk).update(state=FollowUp.State.DONE)
    return composition


# Snooze -----------------------------------------------------------------------------------------
def snooze(user, folder: str, uid: int, wake_at: datetime) -> Snooze | None:
    """Put a message aside until `wake_at`: moved to the snooze folder (created if missing).
    None when the message is no longer there."""
    with open_mailbox(user.mail_account) as mailbox:
        if SNOOZE_FOLDER not in mailbox.folder_names():
            mailbox.create_folder(SNOOZE_FOLDER)
        envelope = mailbox.envelopes(folder, [uid])
        moved = mailbox.move(folder, [uid], SNOOZE_FOLDER)
    if not moved.uids:
        return None
    [(new_uid, message_id)] = moved.uids.items()
    row = Snooze.objects.create(
        user=user, folder=folder, snooze_folder=SNOOZE_FOLDER, uid=new_uid, uidvalidity=moved.uidvalidity,
        message_id=message_id, subject=envelope[0].subject if envelope else "", wake_at=wake_at,
    )
    _event("snoozed", row.pk)
    return row


def wake(pk: int) -> str:
    """The worker's job for one due snooze: back in its folder, unread; forgotten if it has gone."""
    if not _claim(Snooze, pk, Snooze.State.WAITING, Snooze.State.WAKING, "wake_at"):
        return "skipped"
    row = Snooze.objects.select_related("user__mail_account").get(pk=pk)
    try:
        with open_mailbox(row.user.mail_account) as mailbox:
            woken = _move_back(mailbox, row)
    except (MailServerError, CredentialsUnreadable):
        Snooze.objects.filter(pk=pk, state=Snooze.State.WAKING).update(state=Snooze.State.WAITING)
        return "retry"
    outcome = Snooze.State.WOKEN if woken else Snooze.State.FORGOTTEN
    Snooze.objects.filter(pk=pk, state=Snooze.State.WAKING).update(state=outcome)
    _event(str(outcome), pk)
    return str(outcome)


def _move_back(mailbox, row: Snooze) -> bool:
    """Move the message back, unread. False when it is no longer in the snooze folder.

    Servers that implement MOVE as copy-then-expunge (Dovecot on maildir) let two sessions moving
    the same message at the same moment both copy it. So when the user (in another tab or client)
    moves it just as it wakes, the message may land in both places: it is looked for in the other
    folders before and after, and if the user's copy appeared meanwhile, ours is removed: the user's
    choice wins, and the message is never lost nor doubled."""
    found = mailbox.find_moved(row.snooze_folder, Moved(row.uidvalidity, {row.uid: row.message_id}))
    if not found:
        return False
    before = _copies(mailbox, row) if row.message_id else {}
    moved = mailbox.move(row.snooze_folder, found, row.folder)
    if not moved.uids:
        return False
    if row.message_id:
        # Twice: a move by another session that read the message before ours took it may still be
        # committing its copy when ours returns; it is done within moments.
        for pause in (0, SETTLE_SECONDS):
            time.sleep(pause)
            after = _copies(mailbox, row)
            if any(set(uids) - set(before.get(folder, [])) for folder, uids in after.items()):
                mailbox.delete_permanently(row.folder, list(moved.uids))
                return False
    mailbox.set_flag(row.folder, list(moved.uids), "\\Seen", False)  # comes back unread
    return True


def _copies(mailbox, row: Snooze) -> dict[str, list[int]]:
    """Where else a message with this Message-ID is (its own folder and the snooze folder aside)."""
    skip = {row.folder, row.snooze_folder}
    return {folder: mailbox.search_header(folder, "Message-ID", row.message_id)
            for folder in mailbox.folder_names() if folder not in skip}


# The sweeper ------------------------------------------------------------------------------------
def due(now: datetime | None = None) -> tuple[list[int], list[int]]:
    """Beat's pass: rows whose time came (and rows a dead worker left claimed, handed back)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=STALE_SECONDS)
    with transaction.atomic():
        FollowUp.objects.filter(state=FollowUp.State.CHECKING, claimed_at__lt=stale).update(
            state=FollowUp.State.WAITING)
        Snooze.objects.filter(state=Snooze.State.WAKING, claimed_at__lt=stale).update(state=Snooze.State.WAITING)
    follow_ups = list(FollowUp.objects.filter(state=FollowUp.State.WAITING, due_at__lte=now)
                      .values_list("pk", flat=True)[:500])
    snoozes = list(Snooze.objects.filter(state=Snooze.State.WAITING, wake_at__lte=now)
                   .values_list("pk", flat=True)[:500])
    return follow_ups, snoozes
