"""Time arithmetic for scheduled send: presets, office hours, the off-hours nudge, validation.

Pure functions of their arguments. `now` is always a parameter (never read from the clock), every
datetime taken or returned is timezone-aware, and results are expressed in the user's zone.

Office hours
    A moment is inside office hours when, in the user's zone, its weekday is a working day and
    its wall-clock time is in [start, end). Night shifts (end before start) are not supported.

Presets, in this order (each has a fixed key for the view to post back):
    tomorrow_morning / tomorrow_afternoon
        Only when tomorrow is a working day: tomorrow at `start` ("Demain matin") and at
        `afternoon` ("Demain après-midi"). The afternoon preset is left out when `afternoon` is
        not inside [start, end), e.g. for someone working 14:00-22:00.
    monday_morning
        When the next working day is not tomorrow (Friday evening, Saturday, or custom working
        days): that day at `start`, labelled with its weekday ("Lundi matin", "Dimanche matin"
        for a Sunday-Thursday week). "Tomorrow" is always the calendar day after today, so at
        00:10 on a Monday "Demain matin" is Tuesday; Monday 08:00 comes as the next office slot.
    next_office_slot
        Inside office hours: the next 5-minute mark strictly after now, if still inside office
        hours; otherwise (and outside office hours) the next start of office hours. Left out
        when it falls at the same instant as another preset (e.g. Friday evening: Monday 08:00).
    No preset is ever in the past or equal to now.

The off-hours nudge suggests the next start of office hours, as the preset that lands on it,
so the view can post that preset's key (and recompute it with `presets` on submit, so a page
left open does not post a stale time). `describe` and `when_phrase` render any scheduled time
the same way for the Programmés list and the toast.

Validation accepts a time up to PAST_TOLERANCE (60 s) in the past, sent at once, and refuses
anything later than the horizon (365 × 24 h by default).

DST
    Wall-clock times are built with `datetime.combine(day, time, tzinfo=zone)` and normalised
    through UTC, never by adding 24 h to an aware datetime: tomorrow 08:00 Europe/Paris across a
    DST change is 08:00 local, with a different UTC offset from today's. A local time that does
    not exist (in the spring-forward gap) is read with the offset in force before the change
    (zoneinfo's fold=0), which moves it forward by the gap: 02:30 on 2026-03-29 in Paris becomes
    03:30 CEST. An ambiguous local time (the repeated hour in autumn) is its first occurrence
    (fold=0): 02:30 on 2026-10-25 in Paris is 02:30 CEST, i.e. 00:30 UTC.
    Aware datetimes sharing a tzinfo compare and subtract by wall clock, ignoring fold and
    offset, so every comparison or difference here is made in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from webmail.preferences.digits import shape

# Form round trips and small clock differences: a time this far in the past is still accepted
# (the dispatcher sends it at once) rather than refused.
PAST_TOLERANCE = timedelta(seconds=60)
SLOT_STEP = timedelta(minutes=5)

# What <input type="datetime-local"> submits: minutes, optionally seconds, no offset.
_LOCAL_INPUT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?", re.ASCII)


@dataclass(frozen=True)
class OfficeHours:
    time_zone: str = "Europe/Paris"  # IANA name
    start: time = time(8, 0)
    end: time = time(18, 0)
    afternoon: time = time(13, 0)  # "Demain après-midi"
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday=0 … Sunday=6

    def __post_init__(self) -> None:
        # Accept any iterable of weekdays (a list from a form or a JSON field) but keep it hashable.
        object.__setattr__(self, "working_days", frozenset(self.working_days))
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {self.time_zone!r}") from error
        if any(t.tzinfo is not None for t in (self.start, self.end, self.afternoon)):
            raise ValueError("office hours are wall-clock times, without tzinfo")
        if not self.start < self.end:
            raise ValueError("office hours must start before they end")
        # Without a working day there is no next office start to look for.
        if not self.working_days or not self.working_days <= set(range(7)):
            raise ValueError("working days must be a non-empty set of weekdays 0-6")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # cached by zoneinfo

    @property
    def city(self) -> str:
        """The zone's city as IANA spells it: "Europe/Paris" → "Paris", "America/New_York" → "New York"."""
        return self.time_zone.rsplit("/", 1)[-1].replace("_", " ")

    def contains(self, local: datetime) -> bool:
        return local.weekday() in self.working_days and self.start <= local.time() < self.end


@dataclass(frozen=True)
class Preset:
    key: str  # tomorrow_morning, tomorrow_afternoon, monday_morning, next_office_slot
    label: str  # "Demain matin"
    at: datetime  # aware, in the user's zone
    description: str  # "lundi 1 déc. 08:00, heure de Paris"


@dataclass(frozen=True)
class OffHoursNudge:
    local_now: datetime
    suggested: Preset
    message: str  # "Il est 23:40. Programmer pour demain 08:00 ?"


# --- helpers -------------------------------------------------------------------------------------


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment


def _local(moment: datetime, hours: OfficeHours, name: str = "now") -> datetime:
    return _aware(moment, name).astimezone(hours.zone)


def _wall_clock(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`day` at `at` local time, as a real instant (see the module docstring for gaps and folds)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC).astimezone(zone)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _next_working_day_after(day: date, hours: OfficeHours) -> date:
    return next(
        later
        for later in (day + timedelta(days=n) for n in range(1, 8))
        if later.weekday() in hours.working_days
    )


def _date_format(moment: datetime, now: datetime | None) -> str:
    if now is not None and moment.year != now.year:
        # Translators: Django date format for a scheduled send date in another year; French: "l j N Y".
        return date_format(moment, _("D j M Y"))
    # Translators: Django date format for a scheduled send date; French: "l j N" ("lundi 1 déc.").
    return date_format(moment, _("D j M"))


def _clock(moment: datetime) -> str:
    return date_format(moment, "H:i")


# --- public API ----------------------------------------------------------------------------------


def is_office_time(moment: datetime, hours: OfficeHours) -> bool:
    return hours.contains(_local(moment, hours, "moment"))


def next_office_start(now: datetime, hours: OfficeHours) -> datetime:
    """The first start of office hours strictly after `now` (inside office hours: the next day's)."""
    local = _local(now, hours)
    # Today's start may already be past; a week later the same weekday comes back, so 8 days suffice.
    for n in range(8):
        day = local.date() + timedelta(days=n)
        if day.weekday() in hours.working_days:
            start = _wall_clock(day, hours.start, hours.zone)
            if _utc(start) > _utc(now):
                return start
    raise AssertionError("unreachable: working_days is never empty")


def next_office_slot(now: datetime, hours: OfficeHours) -> datetime:
    """The next 5-minute mark strictly after `now` if it is inside office hours, else `next_office_start`."""
    local = _local(now, hours)
    if hours.contains(local):
        # Round in UTC: every current zone offset is a multiple of 5 minutes, and UTC has no DST.
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        slot = epoch + ((_utc(now) - epoch) // SLOT_STEP + 1) * SLOT_STEP
        local_slot = slot.astimezone(hours.zone)
        if hours.contains(local_slot):
            return local_slot
    return next_office_start(now, hours)


def describe(moment: datetime, hours: OfficeHours, now: datetime | None = None) -> str:
    """Exact date, time and zone: "lundi 1 déc. 08:00, heure de Paris" (the year too if not `now`'s)."""
    local = _local(moment, hours, "moment")
    local_now = _local(now, hours) if now is not None else None
    return shape(_("%(date)s %(time)s, %(city)s time") % {
        "date": _date_format(local, local_now),
        "time": _clock(local),
        "city": hours.city,
    })


def when_phrase(moment: datetime, now: datetime, hours: OfficeHours) -> str:
    """Short, relative to `now`: "aujourd'hui 08:00", "demain 08:00", "lundi 08:00" (for toasts and the nudge)."""
    local, local_now = _local(moment, hours, "moment"), _local(now, hours)
    days = (local.date() - local_now.date()).days
    values = {"time": _clock(local)}
    if days == 0:
        return shape(_("today %(time)s") % values)
    if days == 1:
        return shape(_("tomorrow %(time)s") % values)
    if 1 < days < 7:
        # Within the coming week a weekday name is unambiguous.
        return shape(_("%(weekday)s %(time)s") % {**values, "weekday": date_format(local, "l")})
    return shape(_("%(date)s %(time)s") % {**values, "date": _date_format(local, local_now)})


def presets(now: datetime, hours: OfficeHours) -> list[Preset]:
    """The presets to offer at `now`, by the rules of the module docstring, in that order."""
    local = _local(now, hours)
    today = local.date()
    next_day = _next_working_day_after(today, hours)
    zone = hours.zone

    candidates: list[tuple[str, str, datetime]] = []
    if next_day == today + timedelta(days=1):
        candidates.append(
            ("tomorrow_morning", _("Tomorrow morning"), _wall_clock(next_day, hours.start, zone))
        )
        if hours.start <= hours.afternoon < hours.end:
            candidates.append(
                ("tomorrow_afternoon", _("Tomorrow afternoon"), _wall_clock(next_day, hours.afternoon, zone))
            )
    else:
        morning = _wall_clock(next_day, hours.start, zone)
        label = capfirst(_("%(weekday)s morning") % {"weekday": date_format(morning, "l")})
        candidates.append(("monday_morning", label, morning))

    slot = next_office_slot(now, hours)
    if all(_utc(slot) != _utc(at) for _key, _label, at in candidates):
        candidates.append(("next_office_slot", _("Next office slot"), slot))

    return [
        Preset(key, label, at, describe(at, hours, now))
        for key, label, at in candidates
        if _utc(at) > _utc(now)
    ]


def off_hours_suggestion(now: datetime, hours: OfficeHours) -> OffHoursNudge | None:
    """None inside office hours; otherwise a nudge towards the next start of office hours."""
    local = _local(now, hours)
    if hours.contains(local):
        return None
    target = _utc(next_office_start(now, hours))
    # Outside office hours the next office slot is the next office start, so some preset lands on it.
    suggested = next(p for p in presets(now, hours) if _utc(p.at) == target)
    message = _("It is %(time)s. Schedule for %(when)s?") % {
        "time": _clock(local),
        "when": when_phrase(suggested.at, now, hours),
    }
    return OffHoursNudge(local_now=local, suggested=suggested, message=message)


def validate_send_at(at: datetime, now: datetime, horizon_days: int = 365) -> str | None:
    """None if `at` can be scheduled; else the reason, translated.

    Up to PAST_TOLERANCE in the past is accepted (it leaves at once); the horizon counts
    `horizon_days` × 24 h from now.
    """
    delay = _utc(_aware(at, "at")) - _utc(_aware(now, "now"))
    if delay < -PAST_TOLERANCE:
        return _("This time is in the past.")
    if delay > timedelta(days=horizon_days):
        return ngettext(
            "You can schedule at most %(days)s day ahead.",
            "You can schedule at most %(days)s days ahead.",
            horizon_days,
        ) % {"days": horizon_days}
    return None


def parse_local(value: str, hours: OfficeHours) -> datetime | None:
    """A datetime-local value ("2026-12-01T08:00") read in the user's zone; None if it is not one.

    Non-existent times move forward by the DST gap, ambiguous ones are their first occurrence.
    """
    if not isinstance(value, str) or not _LOCAL_INPUT.fullmatch(value.strip()):
        return None
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:  # well formed but impossible, e.g. month 13 or 24:00
        return None
    return _wall_clock(naive.date(), naive.time(), hours.zone)


def to_utc(local: datetime) -> datetime:
    return _utc(_aware(local, "local"))
