from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "webmail.core"
    label = "core"

    def ready(self) -> None:
        from webmail.core import checks  # noqa: F401  (registers the deploy checks)
