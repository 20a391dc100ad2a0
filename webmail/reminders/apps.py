from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "webmail.reminders"
    label = "reminders"
