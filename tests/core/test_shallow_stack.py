"""Parsing and sanitising run on a shallow stack (webmail/core/shallow.py): in place when the
caller's stack is short, else on a pool thread that sees the caller's language, time zone and
script prefix, and hands back the result or the exception."""

import threading
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse, set_script_prefix
from django.utils import timezone, translation

from tests.benchmarks.mail import letter
from webmail.core.shallow import SHALLOW_FRAMES, on_shallow_stack
from webmail.mailbox.parse import parse_message
from webmail.mailbox.sanitize import sanitize_html


def at_depth(frames: int, work):
    """`work()` called under `frames` more frames: as from deep inside a view."""
    return work() if frames == 0 else at_depth(frames - 1, work)


def test_on_a_short_stack_the_work_runs_in_place():
    ran_on = []
    thread = threading.Thread(target=lambda: ran_on.append(on_shallow_stack(threading.current_thread)))
    thread.start()
    thread.join()
    assert ran_on == [thread]


def test_a_deep_caller_gets_a_pool_thread_with_its_language_time_zone_and_script_prefix():
    def where():
        return (threading.current_thread().name, translation.get_language(), timezone.get_current_timezone_name(),
                reverse("mailbox:folder"))

    set_script_prefix("/courrier/")
    try:
        with translation.override("pl"), timezone.override(ZoneInfo("Asia/Tokyo")):
            name, language, zone, url = at_depth(SHALLOW_FRAMES, lambda: on_shallow_stack(where))
    finally:
        set_script_prefix("/")
    assert name.startswith("shallow")
    assert (language, zone, url) == ("pl", "Asia/Tokyo", "/courrier/mail/")


def test_the_work_s_exception_reaches_the_caller():
    with pytest.raises(ValueError, match="douze"):
        at_depth(SHALLOW_FRAMES, lambda: on_shallow_stack(int, "douze"))


def test_a_message_parsed_and_sanitised_deep_in_a_view_is_the_same_as_on_a_short_stack():
    raw = letter(7)  # a 61 KB HTML newsletter with images and links
    here = parse_message(raw)
    deep = at_depth(2 * SHALLOW_FRAMES, lambda: parse_message(raw))
    assert deep == here and deep.html
    assert at_depth(2 * SHALLOW_FRAMES, lambda: sanitize_html(deep.html)) == sanitize_html(here.html)


@pytest.mark.django_db
def test_work_on_a_shallow_stack_may_not_query_the_database():
    """A pool thread's connection is not the caller's: outside its transaction, never closed by
    the request's end. A query there is refused, loudly."""
    from django.contrib.auth import get_user_model

    with pytest.raises(RuntimeError, match="must not query the database"):
        at_depth(SHALLOW_FRAMES, lambda: on_shallow_stack(get_user_model().objects.count))


def test_work_on_the_pool_that_asks_for_a_shallow_stack_again_runs_in_place():
    """A render on the pool whose template sanitises a message: were it sent to the pool again,
    two at once would each wait for the thread the other holds."""
    from concurrent.futures import ThreadPoolExecutor

    def nested():
        return at_depth(SHALLOW_FRAMES, lambda: on_shallow_stack(threading.current_thread))

    def outer():
        return threading.current_thread(), at_depth(SHALLOW_FRAMES, lambda: on_shallow_stack(nested))

    with ThreadPoolExecutor(max_workers=4) as callers:
        answers = [f.result(timeout=10) for f in [callers.submit(outer) for _ in range(4)]]
    for caller, ran_on in answers:
        assert ran_on is not caller and ran_on.name.startswith("shallow")
