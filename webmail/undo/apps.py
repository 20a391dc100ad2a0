from django.apps import AppConfig


class UndoConfig(AppConfig):
    name = "webmail.undo"
    label = "undo"
