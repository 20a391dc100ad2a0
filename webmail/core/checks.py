from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def credentials_key_configured(app_configs, **kwargs):
    if settings.CREDENTIALS_KEYS:
        return []
    return [
        Error(
            "CREDENTIALS_KEYS is not set: stored mail passwords would be encrypted with a key derived "
            "from SECRET_KEY.",
            hint="Generate one with `manage.py generate_credentials_key` and set CREDENTIALS_KEYS.",
            id="webmail.E001",
        )
    ]


@register(Tags.security, deploy=True)
def mail_server_configured(app_configs, **kwargs):
    if settings.IMAP_HOST and settings.SMTP_HOST:
        return []
    return [Error("IMAP_HOST and SMTP_HOST must be set in production.", id="webmail.E002")]
