"""Folder names as people read them: special-use folders get localized names whatever the server calls them."""

import logging
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from webmail.accounts.mail import open_mailbox
from webmail.core.crypto import CredentialsUnreadable
from webmail.imap.gateway import Folder, MailServerError

log = logging.getLogger(__name__)

SPECIAL_LABELS = {
    "INBOX": _("Inbox"),
    "\\Drafts": _("Drafts"),
    "\\Sent": _("Sent"),
    "\\Trash": _("Trash"),
    "\\Junk": _("Junk"),
    "\\Archive": _("Archives"),
}
SPECIAL_ICONS = {
    "INBOX": "inbox", "\\Drafts": "draft", "\\Sent": "sent", "\\Trash": "trash", "\\Junk": "junk",
    "\\Archive": "archive",
}


@dataclass(frozen=True)
class FolderView:
    folder: Folder

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def kind(self) -> str:
        return "INBOX" if self.folder.name == "INBOX" else (self.folder.special_use or "")

    @property
    def label(self) -> str:
        return str(SPECIAL_LABELS.get(self.kind, self.folder.leaf))

    @property
    def icon(self) -> str:
        return SPECIAL_ICONS.get(self.kind, "folder")

    @property
    def depth(self) -> int:
        return 0 if self.kind else self.folder.depth

    @property
    def unseen(self) -> int:
        return self.folder.unseen

    @property
    def selectable(self) -> bool:
        return self.folder.selectable

    @property
    def messages(self) -> int:
        return self.folder.messages

    @property
    def editable(self) -> bool:
        """Only the user's own folders can be renamed or deleted."""
        return self.selectable and not self.kind


def present(folders: list[Folder]) -> list[FolderView]:
    return [FolderView(folder) for folder in folders]


def sidebar_folders(account) -> list[FolderView]:
    """The folder list for a page that is not about mail (compose, settings, the outbox): one
    LIST-STATUS on a pooled connection, as the mailbox pages send it with their own commands.

    The sidebar only helps people move around, so a mail server that fails here leaves it empty
    rather than taking the page down: writing and sending must still work.
    """
    try:
        with open_mailbox(account) as mailbox:
            return present(mailbox.folders())
    except (MailServerError, CredentialsUnreadable) as exc:
        log.warning("folder list for the sidebar failed: %s", exc.__class__.__name__)
        return []


def label_for(name: str, folders: list[FolderView]) -> str:
    return next((f.label for f in folders if f.name == name), name)


# Creating, renaming and deleting folders ---------------------------------------------------------
class FolderRefused(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


MAX_NAME = 200


def clean_name(name: str, delimiter: str = "/") -> str:
    """A folder's own name (not its path), or FolderRefused saying what is wrong with it."""
    name = " ".join((name or "").split())
    if not name:
        raise FolderRefused(_("Enter a folder name."))
    if len(name) > MAX_NAME:
        raise FolderRefused(_("This name is too long (200 characters at most)."))
    if delimiter and delimiter in name:
        raise FolderRefused(_("A folder name cannot contain “%(char)s”.") % {"char": delimiter})
    if any(c in name for c in "*%\\\"") or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise FolderRefused(_("A folder name cannot contain *, %, \\ or quotes."))
    if name.upper() == "INBOX" or name in (".", ".."):
        raise FolderRefused(_("This name is reserved."))
    return name


def create(mailbox, name: str, parent: str = "") -> str:
    folders = {f.name: f for f in mailbox.folders()}
    delimiter = next(iter(folders.values())).delimiter if folders else "/"
    leaf = clean_name(name, delimiter)
    if parent and (parent not in folders or not delimiter):
        raise FolderRefused(_("The parent folder does not exist."), status=404)
    full = f"{parent}{delimiter}{leaf}" if parent else leaf
    if full in folders or full.upper() == "INBOX":
        raise FolderRefused(_("A folder with this name already exists."), status=409)
    mailbox.create_folder(full)
    return full


def _editable(folders: dict, name: str):
    folder = folders.get(name)
    if folder is None:
        raise FolderRefused(_("This folder does not exist."), status=404)
    if folder.name == "INBOX" or folder.special_use:
        raise FolderRefused(_("The inbox and the special folders cannot be renamed or deleted."))
    return folder


def rename(mailbox, old: str, new_leaf: str) -> str:
    folders = {f.name: f for f in mailbox.folders()}
    folder = _editable(folders, old)
    leaf = clean_name(new_leaf, folder.delimiter)
    parent = old.rsplit(folder.delimiter, 1)[0] if folder.delimiter and folder.delimiter in old else ""
    full = f"{parent}{folder.delimiter}{leaf}" if parent else leaf
    if full == old:
        return full
    if full in folders:
        raise FolderRefused(_("A folder with this name already exists."), status=409)
    mailbox.rename_folder(old, full)
    return full


def delete(mailbox, name: str) -> None:
    folders = {f.name: f for f in mailbox.folders()}
    folder = _editable(folders, name)
    prefix = name + folder.delimiter if folder.delimiter else None
    if prefix and any(other.startswith(prefix) for other in folders):
        raise FolderRefused(_("Delete or move the folders inside this one first."), status=409)
    mailbox.delete_folder(name)
