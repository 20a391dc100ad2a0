from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "webmail.outbox"
    label = "outbox"
