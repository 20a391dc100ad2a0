"""Small shared helpers for tests."""

import threading


def preferences_data(**overrides) -> dict:
    """A complete settings-page POST with the defaults, changed by `overrides`.

    The off-hours nudge is off, as in the tests' default preferences: otherwise a test that saves
    its settings would meet the nudge when run at night or on a weekend. Its own tests switch it on.
    """
    data = {
        "undo_delay": "10", "signature": "", "time_zone": "Europe/Paris", "office_start": "08:00",
        "office_end": "18:00", "working_days": ["0", "1", "2", "3", "4"], "off_hours_nudge": None,
        "check_attachment": "on", "check_subject": "on", "check_placeholders": "on",
        "check_recipients_privacy": "on", "visible_recipients_limit": "10", "check_domain_typos": "on",
        "check_reply_all": "on", "reply_all_limit": "10", "check_heavy_attachments": "on",
        "heavy_attachments_mb": "10",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


class OutboxBeat(threading.Thread):
    """What Celery beat does for the outbox in production: hand overdue messages over again."""

    def __init__(self):
        super().__init__(daemon=True, name="test-beat")
        self.stopping = threading.Event()

    def run(self):
        from django.db import connection

        from webmail.outbox import service

        try:
            while not self.stopping.wait(0.5):
                service.redispatch_overdue()
        finally:
            connection.close()
