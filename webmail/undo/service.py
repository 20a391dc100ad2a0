"""Remember what an action on mail changed, and put it back on Annuler.

A move is undone by moving the messages back from where the server said it put them (UIDPLUS
`COPYUID`, recorded with the target's UIDVALIDITY). A message moved or deleted elsewhere since is
no longer at that UID and is simply not brought back (and said so). If the server renumbered the
folder (UIDVALIDITY changed), the messages are found by their Message-ID instead (gateway.find_moved).
A flag change is undone only on the messages whose flag it changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from webmail.accounts.mail import open_mailbox
from webmail.imap.gateway import MailServerError, Moved
from webmail.mailbox.actions import Done, sentence_for
from webmail.undo.models import MailAction

log = logging.getLogger("webmail.undo")

# The toast offers Annuler this long after the action (`z` too); the server accepts it a while
# longer, for a page left open without JavaScript.
TOAST_SECONDS = 20
UNDO_SECONDS = 600
KEEP_DAYS = 2  # older rows are deleted by `forget_old`


def remember(user, done: Done) -> MailAction | None:
    """Keep what `done` changed; None when there is nothing to undo (a permanent delete, a flag
    that was already so)."""
    if not done.steps:
        return None
    return MailAction.objects.create(user=user, action=done.action, count=done.count, steps=done.steps)


def latest(user) -> MailAction | None:
    """The action the toast offers to undo: the newest, while it is recent and not undone."""
    since = timezone.now() - timedelta(seconds=TOAST_SECONDS)
    newest = MailAction.objects.filter(user=user, created_at__gte=since).order_by("-created_at", "-pk").first()
    return newest if newest is not None and newest.state == MailAction.State.OPEN else None


def toast_sentence(action: MailAction) -> str:
    """"2 messages archivés.", the action's own sentence, in the reader's language at display time."""
    return sentence_for(action.action, action.count)


class NothingToUndo(Exception):
    """Not this user's action, already undone, or too old."""


@dataclass(frozen=True)
class Undone:
    restored: int
    missing: int  # moved or deleted elsewhere meanwhile: not brought back

    @property
    def sentence(self) -> str:
        text = ngettext("%(n)d message put back.", "%(n)d messages put back.", self.restored) % {"n": self.restored}
        if self.missing:
            text += " " + ngettext(
                "%(n)d message had been moved or deleted meanwhile and was left where it is.",
                "%(n)d messages had been moved or deleted meanwhile and were left where they are.",
                self.missing,
            ) % {"n": self.missing}
        return text


def undo(user, pk: int) -> Undone:
    """Annuler: OPEN→UNDONE first (one conditional UPDATE: a second click finds nothing), then the
    steps in reverse. If the mail server fails, the row is OPEN again so Annuler can be retried:
    every step is safe to repeat (a message already back is no longer at its recorded UID)."""
    since = timezone.now() - timedelta(seconds=UNDO_SECONDS)
    with transaction.atomic():
        won = MailAction.objects.filter(pk=pk, user=user, state=MailAction.State.OPEN, created_at__gte=since).update(
            state=MailAction.State.UNDONE
        )
    if not won:
        raise NothingToUndo(pk)
    action = MailAction.objects.get(pk=pk)
    try:
        with open_mailbox(user.mail_account) as mailbox:
            restored = missing = 0
            for step in reversed(action.steps):
                if "move" in step:
                    back, lost = _move_back(mailbox, step["move"])
                else:
                    back, lost = _flag_back(mailbox, step["flag"])
                restored, missing = restored + back, missing + lost
    except MailServerError:
        MailAction.objects.filter(pk=pk).update(state=MailAction.State.OPEN)
        raise
    log.info("mail action undone", extra={"event": "undo.done", "action_id": pk, "restored": restored,
                                           "missing": missing})
    return Undone(restored, missing)


def _move_back(mailbox, step: dict) -> tuple[int, int]:
    moved = Moved(step["uidvalidity"], {int(uid): message_id for uid, message_id in step["uids"].items()})
    found = mailbox.find_moved(step["to"], moved)
    if found:
        mailbox.move(step["to"], found, step["from"])
    return len(found), max(0, len(moved.uids) - len(found))


def _flag_back(mailbox, step: dict) -> tuple[int, int]:
    uidvalidity, flags = mailbox.flags_of(step["folder"], step["uids"])
    if uidvalidity != step["uidvalidity"]:  # renumbered: these UIDs name other messages now
        return 0, len(step["uids"])
    present = [uid for uid in step["uids"] if uid in flags]
    if present:
        mailbox.set_flag(step["folder"], present, step["flag"], not step["on"])
    return len(present), len(step["uids"]) - len(present)


def forget_old() -> int:
    """Rows past any use (beat, daily)."""
    deleted, _ = MailAction.objects.filter(created_at__lt=timezone.now() - timedelta(days=KEEP_DAYS)).delete()
    return deleted


def refused_message() -> str:
    return _("This action can no longer be undone.")
