from django.apps import AppConfig


class MailboxConfig(AppConfig):
    name = "webmail.mailbox"
    label = "mailbox"
