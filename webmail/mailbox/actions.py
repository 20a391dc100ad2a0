"""Message actions (star, read, move, archive, delete), for one message or many.

A selection is a list of (folder, uid) pairs, so search results spanning several folders can be
acted on together. Every action is a handful of IMAP commands per folder, whatever the count.
Each one also says what it changed (`Done.steps`, in the server's UIDs), for Annuler (webmail/undo).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from webmail.imap.gateway import Mailbox, Moved

FLAG_ACTIONS = {
    "star": ("\\Flagged", True),
    "unstar": ("\\Flagged", False),
    "read": ("\\Seen", True),
    "unread": ("\\Seen", False),
}
ACTIONS = (*FLAG_ACTIONS, "move", "archive", "delete")
# Actions after which the message is no longer where the reader was looking.
LEAVING_ACTIONS = ("move", "archive", "delete")
# One request acts on at most this many messages (a page of 50 conversations, or one opened).
MAX_SELECTED = 1000


@dataclass(frozen=True)
class Done:
    """What an action did: the sentence for the reader, and the steps that undo it (see
    undo.models.MailAction); no steps for a permanent delete, the one action without undo."""

    action: str
    count: int
    sentence: str
    steps: list[dict] = field(default_factory=list)


class NeedsConfirmation(Exception):
    """Deleting from the Trash (or where there is none) is for good: the user confirms first."""


class ActionRefused(Exception):
    """The action cannot be done (no archive folder, unknown target…); the message says why."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


def parse_selection(values: list[str]) -> list[tuple[str, int]]:
    """"<uid>:<folder>" form values → (folder, uid) pairs; a conversation's row sends its messages
    as "<uid>,<uid>,…:<folder>". Raises ValueError on anything else."""
    selection = []
    for value in values:
        uids, sep, folder = value.partition(":")
        if not sep or not folder:
            raise ValueError(value)
        for uid in uids.split(","):
            if not uid.isdigit() or not 0 < int(uid) < 2**32:
                raise ValueError(value)
            selection.append((folder, int(uid)))
    if len(selection) > MAX_SELECTED:
        raise ValueError("too many")
    return selection


def _by_folder(selection: list[tuple[str, int]]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = defaultdict(list)
    for folder, uid in selection:
        if uid not in grouped[folder]:
            grouped[folder].append(uid)
    return grouped


def apply(
    mailbox: Mailbox, action: str, selection: list[tuple[str, int]], target: str = "", *, confirmed: bool = False
) -> Done:
    """Do `action` on every selected message; returns the sentence telling the reader what was done
    and how to undo it. A permanent delete raises NeedsConfirmation unless `confirmed`."""
    if action not in ACTIONS:
        raise ActionRefused(_("Unknown action."))
    if not selection:
        raise ActionRefused(_("Select at least one message."))
    grouped = _by_folder(selection)
    folders = mailbox.folder_names()
    unknown = [name for name in grouped if name not in folders]
    if unknown:
        raise ActionRefused(_("This folder does not exist."), status=404)
    count = len(selection)

    if action in FLAG_ACTIONS:
        flag, on = FLAG_ACTIONS[action]
        steps = []
        for folder, uids in grouped.items():
            uidvalidity, flags = mailbox.flags_of(folder, uids)
            changed = [uid for uid in uids if uid in flags and (flag in flags[uid]) != on]
            mailbox.set_flag(folder, uids, flag, on)
            if changed:  # undo touches only what this action changed
                steps.append({"flag": {"folder": folder, "flag": flag, "on": on, "uidvalidity": uidvalidity,
                                       "uids": changed}})
        return Done(action, count, _flag_message(action, count), steps)

    if action == "archive":
        target = next((name for name, use in folders.items() if use == "\\Archive"), "")
        if not target:
            raise ActionRefused(_("There is no archive folder on this mail server."), status=409)
    if action == "move" and target not in folders:
        raise ActionRefused(_("Choose the folder to move the messages to."))

    if action == "delete":
        trash = next((name for name, use in folders.items() if use == "\\Trash"), "")
        if not confirmed and any(not trash or folder == trash for folder in grouped):
            raise NeedsConfirmation()
        steps = []
        for folder, uids in grouped.items():
            if not trash or folder == trash:
                mailbox.delete_permanently(folder, uids)
            else:
                steps.append(_moved(folder, trash, mailbox.move(folder, uids, trash)))
        if all(not trash or folder == trash for folder in grouped):
            return Done(action, count, ngettext(
                "%(n)d message deleted for good.", "%(n)d messages deleted for good.", count) % {"n": count})
        sentence = ngettext("%(n)d message moved to the trash.", "%(n)d messages moved to the trash.", count)
        return Done(action, count, sentence % {"n": count}, steps)

    steps = [_moved(folder, target, mailbox.move(folder, uids, target))
             for folder, uids in grouped.items() if folder != target]
    if action == "archive":
        sentence = ngettext("%(n)d message archived.", "%(n)d messages archived.", count)
    else:
        sentence = ngettext("%(n)d message moved.", "%(n)d messages moved.", count)
    return Done(action, count, sentence % {"n": count}, steps)


def _moved(source: str, target: str, moved: Moved) -> dict:
    uids = {str(uid): message_id for uid, message_id in moved.uids.items()}
    return {"move": {"from": source, "to": target, "uidvalidity": moved.uidvalidity, "uids": uids}}


def sentence_for(action: str, count: int) -> str:
    """What an undoable action did, as its toast says it (the same sentence as when it was done)."""
    if action in FLAG_ACTIONS:
        return _flag_message(action, count)
    texts = {
        "archive": ngettext("%(n)d message archived.", "%(n)d messages archived.", count),
        "delete": ngettext("%(n)d message moved to the trash.", "%(n)d messages moved to the trash.", count),
    }
    return texts.get(action, ngettext("%(n)d message moved.", "%(n)d messages moved.", count)) % {"n": count}


def _flag_message(action: str, count: int) -> str:
    texts = {
        "star": ngettext("%(n)d message starred.", "%(n)d messages starred.", count),
        "unstar": ngettext("%(n)d message unstarred.", "%(n)d messages unstarred.", count),
        "read": ngettext("%(n)d message marked as read.", "%(n)d messages marked as read.", count),
        "unread": ngettext("%(n)d message marked as unread.", "%(n)d messages marked as unread.", count),
    }
    return texts[action] % {"n": count}


@dataclass(frozen=True)
class ActionRequest:
    action: str
    selection: list[tuple[str, int]]
    target: str
    confirmed: bool = False  # a permanent delete the user confirmed


def parse_request(post) -> ActionRequest:
    """Read an action form: either one row button ("one" = "<action>:<uid>:<folder>") or the
    bulk toolbar (action + checked "msg" boxes). Raises ActionRefused on bad input."""
    one = post.get("one", "")
    if one:
        action, _sep, rest = one.partition(":")
        values = [rest]
    else:
        action = post.get("action", "")
        values = post.getlist("msg")
    try:
        selection = parse_selection(values)
    except ValueError:
        raise ActionRefused(_("This message reference is not valid.")) from None
    return ActionRequest(action, selection, post.get("target", ""), post.get("confirmed") == "1")
