"""Sign-in throttling: too many failures pause sign-in, without locking out the neighbours.

A failed sign-in counts in three places, each with its own limit within LOGIN_FAILURE_WINDOW:

- the account at this client address (LOGIN_FAILURES_ALLOWED, 5): typos, or a guesser at one place;
- the account from anywhere (LOGIN_ACCOUNT_FAILURES_ALLOWED, 20): guessing spread over addresses;
- the address, whatever the account (LOGIN_ADDRESS_FAILURES_ALLOWED, 100): one place trying many
  accounts; far above what the typos of an office behind one NAT address add up to.

So alice's typos lock out alice at her desk, not bob at the next one. A counter that reaches its
limit locks its scope for a whole window from that moment, and the message says how long.
The client address comes from webmail.core.client_address (X-Forwarded-For only from trusted proxies).

Counters live in the shared cache (Redis), so every web process sees the same counts. When Redis
cannot be reached, each process counts on its own in memory: sign-in keeps working and keeps
limiting, with at most as many times the limits as there are web processes, for as long as the
outage lasts. Not the database: it would take a write per failed attempt of a guessing attack,
for a fallback that only serves during an outage. Redis is tried again every REDIS_RETRY_SECONDS.
"""

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

REDIS_RETRY_SECONDS = 5.0
_local = LocMemCache("login-throttle", {"OPTIONS": {"MAX_ENTRIES": 100_000}})
_redis_down_until = 0.0


@dataclass(frozen=True)
class _Scope:
    key: str
    limit: int


def _scopes(client_ip: str, email: str) -> list[_Scope]:
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return [
        _Scope(f"login-fail:account-ip:{account}:{client_ip}", settings.LOGIN_FAILURES_ALLOWED),
        _Scope(f"login-fail:account:{account}", settings.LOGIN_ACCOUNT_FAILURES_ALLOWED),
        _Scope(f"login-fail:ip:{client_ip}", settings.LOGIN_ADDRESS_FAILURES_ALLOWED),
    ]


def _with_store(operation):
    """Run operation(store) on Redis, or on this process's memory while Redis is unreachable."""
    global _redis_down_until
    if time.monotonic() >= _redis_down_until:
        try:
            return operation(cache)
        except RedisError as error:
            log.warning("sign-in throttling counts in this process: Redis is unreachable (%s)", error,
                        extra={"event": "throttle.redis_down"})
            _redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
    return operation(_local)


def locked_for(client_ip: str, email: str) -> int:
    """Seconds before this account may try again from this address; 0 when it may now."""
    locks = [f"{scope.key}:locked" for scope in _scopes(client_ip, email)]
    until = max(_with_store(lambda store: store.get_many(locks)).values(), default=0)
    return max(0, math.ceil(until - time.time()))


def record_failure(client_ip: str, email: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW

    def count(store) -> None:
        for scope in _scopes(client_ip, email):
            store.add(scope.key, 0, timeout=window)
            try:
                failures = store.incr(scope.key)
            except ValueError:  # expired between add and incr
                store.set(scope.key, 1, timeout=window)
                failures = 1
            if failures >= scope.limit:
                store.set(f"{scope.key}:locked", time.time() + window, timeout=window)

    _with_store(count)


def reset(client_ip: str, email: str) -> None:
    """The right password: forget the account's failures. The address keeps its count (and its
    lock), or one good account would open the door to a guesser at the same address."""
    keys = [scope.key for scope in _scopes(client_ip, email)[:2]]
    _with_store(lambda store: store.delete_many(keys))
