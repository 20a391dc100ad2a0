"""Mailbox views, by area: lists (folders' messages, search, actions), reading, folder management."""

from webmail.mailbox.views.folders import create as create_folder
from webmail.mailbox.views.folders import delete as delete_folder
from webmail.mailbox.views.folders import manage as manage_folders
from webmail.mailbox.views.folders import rename as rename_folder
from webmail.mailbox.views.lists import act, folder, home, news, search
from webmail.mailbox.views.reading import (
    attachment,
    attachment_preview,
    body,
    conversation,
    inline_image,
    message,
    trust_sender,
)

__all__ = [
    "act", "attachment", "attachment_preview", "body", "conversation", "create_folder", "delete_folder", "folder", "home", "inline_image",
    "manage_folders", "message", "news", "rename_folder", "search", "trust_sender",
]
