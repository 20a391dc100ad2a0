from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "webmail.demo"
    label = "demo"
    verbose_name = "Demo mail server"
