"""Fetching ahead: the messages a reader is likely to open next, fetched, parsed and sanitised
before the click, so that opening one costs no fetch of its bytes and no parse.

After a list page: its newest rows; when reading: the messages just above and below in the list
the reader came from. `PREFETCH_MESSAGES` at most per job.

Where it runs: in a thread of the web process, started once the response has been handed to the
server (Django closes the response after sending it). Not a Celery task: what is fetched goes
into this process's memory (`message_cache`), where the next request will look; a worker's memory
is of no use to the web process, and the bytes would pass through the broker (Redis).

Bounded, so that it can neither slow the reader down nor run the server out of connections:
- one job in flight per account in this process (asked again meanwhile, it then does the latest
  wish only), two threads per process; it starts AFTER_SECONDS after the response;
- it uses only an idle pooled connection, never opens one (`mailbox_for(wait=False)`): the
  account's connection count never grows for it; a request needing the connection meanwhile
  waits for it (one FETCH) rather than sign in again;
- only messages under `MAX_BYTES` (the list row's size), already-kept ones skipped;
- BODY.PEEK only: fetching ahead never marks a message read; no FLAGS are kept.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation

from webmail.accounts.models import MailAccount
from webmail.imap import gateway
from webmail.imap.gateway import Envelope, MailServerError
from webmail.mailbox import reading
from webmail.mailbox.message_cache import cache, new_entry
from webmail.mailbox.parse import parse_message

MAX_BYTES = 512 * 1024
AFTER_SECONDS = 0.2

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_busy: set[str] = set()  # accounts with a job in flight
_wanted: dict[str, tuple] = {}  # account → the latest messages asked for, not started yet
_idle = threading.Condition(_lock)
_executor: tuple[int, ThreadPoolExecutor] | None = None  # (pid, executor): threads do not survive a fork


def top_of(rows: list[Envelope]) -> list[int]:
    """The newest rows of a list page worth fetching ahead."""
    return [e.uid for e in rows if e.size <= MAX_BYTES][: settings.PREFETCH_MESSAGES]


def around(rows: list[Envelope], uid: int) -> list[int]:
    """The messages above and below `uid` in the list the reader saw (newest first)."""
    at = next((i for i, e in enumerate(rows) if e.uid == uid), None)
    if at is None:
        return []
    near = [rows[i] for i in (at + 1, at - 1) if 0 <= i < len(rows)]
    return [e.uid for e in near if e.size <= MAX_BYTES][: settings.PREFETCH_MESSAGES]


def after(response: HttpResponse, account: MailAccount, folder: str, uids: list[int],
          image_salt: str, cid_url_for: Callable[[int], Callable[[str], str | None]]) -> None:
    """Fetch `uids` ahead once `response` has been sent (see the module's docstring)."""
    if not uids or settings.PREFETCH_MESSAGES <= 0:
        return
    language = translation.get_language()
    # Django calls these when the server closes the response, after sending it.
    response._resource_closers.append(
        lambda: _submit(account.email, account.password(), folder, uids, language, image_salt, cid_url_for)
    )


def _submit(email, password, folder, uids, language, image_salt, cid_url_for) -> None:
    global _executor
    account = gateway.pool.key(email, password)
    with _lock:
        # The latest wish replaces one not started yet: the reader has moved on.
        _wanted[account] = (email, password, folder, uids, language, image_salt, cid_url_for)
        if account in _busy:
            return  # the job in flight takes it when done
        _busy.add(account)
        if _executor is None or _executor[0] != os.getpid():
            _executor = (os.getpid(), ThreadPoolExecutor(max_workers=2, thread_name_prefix="prefetch"))
        executor = _executor[1]
    executor.submit(_run, account)


def _run(account: str) -> None:
    # The browser asks for the body frame right after the page: let that request have the process
    # (and the connection) first; a reader does not click the next message within this time.
    time.sleep(AFTER_SECONDS)
    try:
        while True:
            with _lock:
                job = _wanted.pop(account, None)
            if job is None:
                return
            _fetch_ahead(account, *job)
    finally:
        with _lock:
            _busy.discard(account)
            _wanted.pop(account, None)
            _idle.notify_all()


def _fetch_ahead(account, email, password, folder, uids, language, image_salt, cid_url_for) -> None:
    try:
        with gateway.mailbox_for(email, password, wait=False) as mailbox:
            raws = mailbox.fetch_ahead(folder, uids, lambda v, uid: not cache.has(account, folder, v, uid))
        with translation.override(language):
            for raw in raws:
                entry = cache.put(new_entry(account, folder, raw.uidvalidity, raw.uid, raw.raw, raw.subject,
                                            raw.date, parse_message(raw.raw)))
                reading.warm(entry, image_salt, cid_url_for(raw.uid))
    except MailServerError:
        pass  # no idle connection, or the server said no: the click will fetch it
    except Exception:  # a thread's failure would otherwise go unseen; the click still works
        logger.exception("fetching ahead failed")


def wait_idle(timeout: float = 10.0) -> bool:
    """Wait until no job is in flight in this process (benchmarks and tests)."""
    with _lock:
        return _idle.wait_for(lambda: not _busy, timeout)
