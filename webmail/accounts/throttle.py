"""Sign-in throttling: too many failures from one address, or for one account, pause sign-in.

Counters live in the shared cache (Redis), so every web process sees the same counts.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache


def _keys(client_ip: str, email: str) -> list[str]:
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return [f"login-fail:ip:{client_ip}", f"login-fail:account:{account}"]


def is_throttled(client_ip: str, email: str) -> bool:
    counts = cache.get_many(_keys(client_ip, email))
    return any(count >= settings.LOGIN_FAILURES_ALLOWED for count in counts.values())


def record_failure(client_ip: str, email: str) -> None:
    for key in _keys(client_ip, email):
        cache.add(key, 0, timeout=settings.LOGIN_FAILURE_WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW)


def reset(client_ip: str, email: str) -> None:
    # Only the account's counter: a shared office address keeps its own count.
    cache.delete(_keys(client_ip, email)[1])
