from django.apps import AppConfig


class PreferencesConfig(AppConfig):
    name = "webmail.preferences"
    label = "preferences"
