from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "webmail.accounts"
    label = "accounts"
