"""The production topology, run as compose/ runs it (tests/stack.py), under a short burst of real use.

Two gunicorn web processes behind a reverse proxy that sets X-Forwarded-For, two Celery workers and
one beat on PostgreSQL and a private Redis. Four people sign in through the proxy (two after a
typo), set a 5 s cancel window on the settings page and send 60 letters, cancelling 6 at random
moments; a worker is SIGKILLed and restarted, Redis is killed and restarted. The full-size run
(20 people, 500 messages) is `make bench` (tests/benchmarks/test_topology_bench.py).
"""

import pytest

from tests.topology import scenario

pytestmark = [pytest.mark.imap, pytest.mark.smtp, pytest.mark.redis, pytest.mark.celery]


def test_every_message_leaves_once_through_worker_and_redis_crashes():
    # A dead worker's rows are resolved after 20 s (+ 20 s once it had sent the data) instead of
    # 300 s (+ 600 s), so that this fits in the normal run; the test's SMTP server answers at once.
    outcome = scenario(people=4, messages=60, cancels=6, typos=2, settle_timeout=120,
                       OUTBOX_STALE_SECONDS="20", SMTP_FINAL_REPLY_TIMEOUT="20")
    print("\n" + outcome.report())

    assert not outcome.verdict.problems, "\n".join(outcome.verdict.problems)
    counts = outcome.verdict.counts
    assert counts["queued"] == 60
    assert counts["sent"] + counts["uncertain"] + counts["cancelled"] == 60
    assert not outcome.crashes, "\n\n".join(outcome.crashes)
