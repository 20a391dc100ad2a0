"""Small typed readers for settings that come from the environment (12-factor).

They fail loudly on a bad value: a typo in production configuration should stop start-up,
not surface as a strange behaviour hours later.
"""

import os

from django.core.exceptions import ImproperlyConfigured

SECURITY_CHOICES = ("tls", "starttls", "none")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_security(name: str, default: str) -> str:
    value = os.environ.get(name, default).lower() or default
    if value not in SECURITY_CHOICES:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(SECURITY_CHOICES)}, got {value!r}")
    return value


def env_networks(name: str, default: str = "") -> list[str]:
    """A comma-separated list of IP addresses or networks (10.0.0.0/8), checked at start-up."""
    import ipaddress

    entries = env_list(name, default)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"{name} must list IP addresses or networks, got {entry!r}") from None
    return entries
