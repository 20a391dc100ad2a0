"""Folder names as people read them: special-use folders get localized names whatever the server calls them."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from webmail.imap.gateway import Folder

SPECIAL_LABELS = {
    "INBOX": _("Inbox"),
    "\\Drafts": _("Drafts"),
    "\\Sent": _("Sent"),
    "\\Trash": _("Trash"),
    "\\Junk": _("Junk"),
    "\\Archive": _("Archive"),
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


def present(folders: list[Folder]) -> list[FolderView]:
    return [FolderView(folder) for folder in folders]


def label_for(name: str, folders: list[FolderView]) -> str:
    return next((f.label for f in folders if f.name == name), name)
