"""How deep the caller's stack is must not decide how long a message takes to open.

CPython 3.11 frees a 16 KiB chunk of frames as soon as the call that opened it returns: work that
keeps crossing that boundary maps and unmaps memory on every call. Here the same parse and
sanitise of the 61 KB newsletter of the open benchmark, called under 0 to 270 extra frames (a
view runs 60 to 130 deep, depending on the server and the middleware): in place, as before
`webmail.core.shallow`, and as the webmail does now. Printed: the fastest, median and slowest
depth, and how many depths cost over 1.5 times the fastest (a lone slow depth after is this
machine's noise: it moves from run to run).
"""

from __future__ import annotations

import statistics
import time

from tests.benchmarks.mail import letter
from webmail.core import shallow
from webmail.mailbox.parse import parse_message
from webmail.mailbox.sanitize import sanitize_html

DEPTHS = range(0, 271, 6)
REPEATS = 3


def at_depth(frames: int, work):
    return work() if frames == 0 else at_depth(frames - 1, work)


def open_once(raw: bytes) -> float:
    start = time.perf_counter()
    sanitize_html(parse_message(raw).html)
    return (time.perf_counter() - start) * 1000


def by_depth(raw: bytes) -> dict[int, float]:
    return {depth: statistics.median(at_depth(depth, lambda: open_once(raw)) for _ in range(REPEATS))
            for depth in DEPTHS}


def test_parse_and_sanitise_whatever_the_depth(monkeypatch):
    raw = letter(0)
    open_once(raw)  # warm up
    with monkeypatch.context() as in_place:
        in_place.setattr(shallow, "SHALLOW_FRAMES", 10**6)  # every stack counts as shallow
        before = by_depth(raw)
    after = by_depth(raw)
    print(f"\n\nParse + sanitise of a {len(raw) // 1024} KB newsletter under 0–{DEPTHS[-1]} extra frames "
          f"(median of {REPEATS} at each of {len(DEPTHS)} depths)")
    print(f"{'':<26} | {'fastest':>16} | {'median':>8} | {'slowest':>16} | depths over 1.5x the fastest")
    for label, times in (("in place (before)", before), ("on a shallow stack (now)", after)):
        fast, slow = min(times, key=times.get), max(times, key=times.get)
        over = sum(1 for t in times.values() if t > 1.5 * times[fast])
        print(f"{label:<26} | {times[fast]:6.2f} ms at {fast:3} | {statistics.median(times.values()):5.2f} ms | "
              f"{times[slow]:6.2f} ms at {slow:3} | {over} of {len(times)}")
    print()
