"""Heavy work (parsing and sanitising a message, the template of a clicked message page) run on a
shallow stack.

CPython 3.11 keeps Python frames in 16 KiB chunks and frees a chunk as soon as the call that
opened it returns, so code that keeps calling and returning across a chunk boundary maps and
unmaps memory on every call. How deep a view runs depends on the server, the middleware and the
decorators; measured here, the same parse of a 61 KB newsletter took twice as long, its sanitise
2.5 times, and a whole message page 3.5 times, at unlucky depths (docs/reading.md). So this
work runs where the stack is short: here when it already is (a worker thread), else on a thread
of a small pool whose stack starts empty, with the caller's context: its contextvars, and the
language, time zone and script prefix Django keeps per thread. Such work must not query the
database: a pool thread has its own connection, outside the caller's transaction (refused, loudly).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connections
from django.urls import clear_script_prefix, get_script_prefix, set_script_prefix
from django.utils import timezone, translation

T = TypeVar("T")

# Below this many frames the caller's stack is far from the first chunk's end (~120 small
# frames): the work runs in place.
SHALLOW_FRAMES = 32
WORKERS = 2

_lock = threading.Lock()
_pool_thread = threading.local()  # .marked on the pool's threads: work there never waits on the pool
_executor: tuple[int, ThreadPoolExecutor] | None = None  # (pid, executor): threads do not survive a fork


def on_shallow_stack(work: Callable[..., T], *args, **kwargs) -> T:
    """`work(*args, **kwargs)`, run where the stack is shallow; its result or its exception."""
    if getattr(_pool_thread, "marked", False) or _is_shallow():
        return work(*args, **kwargs)
    context = contextvars.copy_context()
    carried = (translation.get_language(), timezone.get_current_timezone(), get_script_prefix())
    return _pool().submit(context.run, _as_the_caller, carried, work, args, kwargs).result()


def _as_the_caller(carried, work, args, kwargs):
    language, zone, prefix = carried
    if language:
        translation.activate(language)
    else:  # the caller had translation off (deactivate_all): so does the work
        translation.deactivate_all()
    timezone.activate(zone)
    set_script_prefix(prefix)
    try:
        with contextlib.ExitStack() as guards:
            for connection in connections.all():
                guards.enter_context(connection.execute_wrapper(_no_database))
            return work(*args, **kwargs)
    finally:
        connections.close_all()  # one a refused query opened: none left to this pool thread
        translation.deactivate()
        timezone.deactivate()
        clear_script_prefix()


def _mark_pool_thread() -> None:
    # A template rendered here that sanitises again runs it in place: were it sent to the pool, two
    # such renders would each wait for a thread the other holds.
    _pool_thread.marked = True


def _no_database(*_args):
    raise RuntimeError("Work on a shallow stack must not query the database: query before, in the view.")


def _is_shallow() -> bool:
    frame = sys._getframe(1)
    for _ in range(SHALLOW_FRAMES + 1):
        frame = frame.f_back
        if frame is None:
            return True
    return False


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None or _executor[0] != os.getpid():
            _executor = (os.getpid(), ThreadPoolExecutor(
                max_workers=WORKERS, thread_name_prefix="shallow", initializer=_mark_pool_thread))
        return _executor[1]
