from django.apps import AppConfig


class IdentitiesConfig(AppConfig):
    name = "webmail.identities"
    label = "identities"
