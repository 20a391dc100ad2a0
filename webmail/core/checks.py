from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def credentials_key_configured(app_configs, **kwargs):
    if settings.CREDENTIALS_KEYS and "CREDENTIALS_KEYS" not in settings.GENERATED_KEYS:
        return []
    return [
        Error(
            "CREDENTIALS_KEYS is not set: stored mail passwords would be encrypted with a key derived "
            "from SECRET_KEY, or with the development key generated in var/.",
            hint="Generate one with `manage.py generate_credentials_key` and set CREDENTIALS_KEYS.",
            id="webmail.E001",
        )
    ]


@register(Tags.security, deploy=True)
def secret_key_configured(app_configs, **kwargs):
    """A random key from var/ passes Django's own W009: say that it is a development key."""
    if "DJANGO_SECRET_KEY" not in settings.GENERATED_KEYS:
        return []
    return [
        Error(
            "DJANGO_SECRET_KEY is not set: the secret key is the development key generated in var/.",
            hint="Set DJANGO_SECRET_KEY to a long random value of its own.",
            id="webmail.E003",
        )
    ]


@register(Tags.security, deploy=True)
def mail_server_configured(app_configs, **kwargs):
    if settings.IMAP_HOST and settings.SMTP_HOST:
        return []
    return [Error("IMAP_HOST and SMTP_HOST must be set in production.", id="webmail.E002")]
