from tests.mailbox.conftest import put_mail  # noqa: F401 (fixtures shared with these tests)
from tests.outbox.conftest import alice, bob, compose, short_delay  # noqa: F401
