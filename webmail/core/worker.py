"""The Celery worker's consumer, made to ride out a Redis outage (settings.CELERY_WORKER_CONSUMER).

Celery 5.7.0 crashes the whole worker when the broker connection drops while it holds unacknowledged
messages, which with acks_late and ETA tasks (every message in its undo window) is nearly always:
after the connection loss it first `collect()`s the connection, which detaches the transport
(`transport.client = None`), then `close()`s it; closing the task channel tries to give the
unacknowledged messages back to Redis, kombu looks up the broker's address on the detached
transport and raises `AttributeError: 'NoneType' object has no attribute 'hostname'`, an error
`ignore_errors` does not swallow. Celery 5.6 only collected. Giving the messages back could not
work anyway (Redis is down); they come back through Redis's visibility timeout or the outbox
sweeper, and the consumer reconnects as it does after any other connection error.
"""

import logging

from celery.worker.consumer import Consumer as CeleryConsumer

log = logging.getLogger(__name__)


class Consumer(CeleryConsumer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The same detached transport bites once more after the reconnection: a task that finished
        # during the outage acknowledges its message on the old channel, kombu looks up the broker's
        # address on the detached transport, and the AttributeError escaped as "Unrecoverable error"
        # (seen in tests/ops/test_topology.py). Counted as a connection error, the ack is logged as
        # failed and the message comes back through Redis's visibility timeout, where the outbox's
        # claim finds the row already sent and skips it.
        self.connection_errors = (*self.connection_errors, AttributeError)

    def on_connection_error_after_connected(self, exc):
        try:
            super().on_connection_error_after_connected(exc)
        except AttributeError:
            if self.connection is not None:  # not the close of the detached connection described above
                raise
            log.warning("broker connection closed after an outage; reconnecting",
                        extra={"event": "celery.broker_lost"})
