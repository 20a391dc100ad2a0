"""Reading a "when" out of a form: a preset key (recomputed now, so a page left open never posts a
time already past), a date and time typed in the user's zone, or "kept": the time a message was
scheduled for before Modifier took it out of Programmés."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from webmail.outbox import schedule


def schedule_choice(
    data, hours: schedule.OfficeHours, kept: datetime | None = None
) -> tuple[datetime | None, str | None]:
    now = timezone.now()
    key = data.get("schedule_at", "")
    if key == "kept" and kept is not None:
        at = kept
    elif key == "custom":
        at = schedule.parse_local(data.get("schedule_local", ""), hours)
        if at is None:
            return None, _("Enter a date and a time.")
    else:
        at = next((p.at for p in schedule.presets(now, hours) if p.key == key), None)
        if at is None:
            return None, _("Choose when to send the message.")
    error = schedule.validate_send_at(at, now, settings.SCHEDULE_HORIZON_DAYS)
    return (None, error) if error else (schedule.to_utc(at), None)
