"""The operations tests reuse the outbox tests' fixtures (short cancel windows, a second account)."""

from tests.outbox.conftest import alice, bob, short_delay  # noqa: F401  (fixtures)

