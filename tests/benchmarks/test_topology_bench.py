"""The production topology under a burst of 500 messages (`make bench`; about 5 minutes).

As compose/ runs it, without Docker (tests/stack.py): two gunicorn web processes behind a reverse
proxy that sets X-Forwarded-For, two Celery workers and one beat, PostgreSQL and a private Redis.
Twenty people sign in through the proxy (six of them after a typo: nobody may be locked out), set
a 5 s cancel window on the settings page and send 500 letters through HTTP, cancelling 50 at
random moments of their window; mid-burst a worker is SIGKILLed and restarted, and Redis is killed
and restarted. Every message not cancelled must arrive exactly once (or, if its worker died during
the SMTP transaction, end UNCERTAIN: at most once, back in Drafts, the person told); no cancelled
one may arrive; every toast must end in a true state. Prints the counts and the lateness
(sent_at − deadline) p50/p95.

The outbox settings are the production defaults, except how long a row left "sending" by a dead
worker waits before the sweeper resolves it: OUTBOX_STALE_SECONDS 30 s (instead of 300 s) and, when
the worker had sent the data, SMTP_FINAL_REPLY_TIMEOUT 30 s more (instead of 600 s; the test's SMTP
server answers in milliseconds), so that the killed worker's rows are resolved within the run.
"""

from tests.topology import scenario


def test_five_hundred_messages_through_the_production_topology():
    outcome = scenario(people=20, messages=500, cancels=50, typos=6, settle_timeout=400,
                       OUTBOX_STALE_SECONDS="30", SMTP_FINAL_REPLY_TIMEOUT="30")
    print("\nProduction topology (2 web, 2 workers, 1 beat, PostgreSQL, Redis, reverse proxy)")
    print(outcome.report())

    assert not outcome.verdict.problems, "\n".join(outcome.verdict.problems)
    counts = outcome.verdict.counts
    assert counts["queued"] == 500
    assert counts["sent"] + counts["uncertain"] + counts["cancelled"] == 500
    assert not outcome.crashes, "\n\n".join(outcome.crashes)
