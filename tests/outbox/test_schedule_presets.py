"""Scheduled send's time arithmetic with frozen clocks: presets, office hours, nudge, validation, DST.

Calendar used below (2026): Mon 23 Nov, Tue 24, Wed 25, Thu 26, Fri 27, Sat 28, Sun 29, Mon 30,
Tue 1 Dec. Europe/Paris moves to summer time on Sun 29 Mar and back on Sun 25 Oct.
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import override

from webmail.outbox.schedule import (
    OfficeHours,
    describe,
    is_office_time,
    next_office_slot,
    next_office_start,
    off_hours_suggestion,
    parse_local,
    presets,
    to_utc,
    validate_send_at,
)

PARIS = ZoneInfo("Europe/Paris")
HOURS = OfficeHours()  # Europe/Paris, 08:00-18:00, afternoon 13:00, Monday-Friday
EVERY_DAY = OfficeHours(working_days=frozenset(range(7)))


def paris(
    day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11, year: int = 2026
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=PARIS)


def summary(now: datetime, hours: OfficeHours = HOURS) -> list[tuple[str, str]]:
    """Each preset as (key, local wall-clock time)."""
    return [(p.key, p.at.strftime("%a %d %H:%M")) for p in presets(now, hours)]


# --- presets around office-hour boundaries and weekends -----------------------------------------


@pytest.mark.parametrize(
    "now, expected",
    [
        # Tuesday: tomorrow is a working day; today's office slot while it still exists.
        (
            paris(24, 7, 59),
            [
                ("tomorrow_morning", "Wed 25 08:00"),
                ("tomorrow_afternoon", "Wed 25 13:00"),
                ("next_office_slot", "Tue 24 08:00"),
            ],
        ),
        (
            paris(24, 8, 0),
            [
                ("tomorrow_morning", "Wed 25 08:00"),
                ("tomorrow_afternoon", "Wed 25 13:00"),
                ("next_office_slot", "Tue 24 08:05"),
            ],
        ),
        (
            paris(24, 10, 2, 30),
            [
                ("tomorrow_morning", "Wed 25 08:00"),
                ("tomorrow_afternoon", "Wed 25 13:00"),
                ("next_office_slot", "Tue 24 10:05"),
            ],
        ),
        (
            paris(24, 17, 54, 59),
            [
                ("tomorrow_morning", "Wed 25 08:00"),
                ("tomorrow_afternoon", "Wed 25 13:00"),
                ("next_office_slot", "Tue 24 17:55"),
            ],
        ),
        # The next 5-minute mark is 18:00, outside office hours: the slot is tomorrow 08:00,
        # the same instant as "Demain matin", so it is not offered twice.
        (paris(24, 17, 55), [("tomorrow_morning", "Wed 25 08:00"), ("tomorrow_afternoon", "Wed 25 13:00")]),
        (paris(24, 17, 59), [("tomorrow_morning", "Wed 25 08:00"), ("tomorrow_afternoon", "Wed 25 13:00")]),
        (paris(24, 18, 0), [("tomorrow_morning", "Wed 25 08:00"), ("tomorrow_afternoon", "Wed 25 13:00")]),
        (paris(24, 23, 40), [("tomorrow_morning", "Wed 25 08:00"), ("tomorrow_afternoon", "Wed 25 13:00")]),
        # Thursday evening: Friday is tomorrow.
        (paris(26, 20, 0), [("tomorrow_morning", "Fri 27 08:00"), ("tomorrow_afternoon", "Fri 27 13:00")]),
        # Friday: tomorrow is Saturday, so the next working day is offered as "Lundi matin".
        (paris(27, 10, 0), [("monday_morning", "Mon 30 08:00"), ("next_office_slot", "Fri 27 10:05")]),
        (paris(27, 20, 0), [("monday_morning", "Mon 30 08:00")]),
        (paris(28, 11, 0), [("monday_morning", "Mon 30 08:00")]),
        # Sunday: Monday is tomorrow.
        (paris(29, 15, 0), [("tomorrow_morning", "Mon 30 08:00"), ("tomorrow_afternoon", "Mon 30 13:00")]),
        # Monday 00:10: "tomorrow" is the calendar day after today; this morning is the office slot.
        (
            paris(30, 0, 10),
            [
                ("tomorrow_morning", "Tue 01 08:00"),
                ("tomorrow_afternoon", "Tue 01 13:00"),
                ("next_office_slot", "Mon 30 08:00"),
            ],
        ),
    ],
)
def test_presets(now, expected):
    assert summary(now) == expected


@pytest.mark.parametrize(
    "now", [paris(d, h, m) for d in (24, 27, 28, 29, 30) for h in range(24) for m in (0, 59)]
)
def test_presets_are_always_in_the_future_distinct_and_in_the_users_zone(now):
    offered = presets(now, HOURS)
    assert offered
    assert all(p.at > now for p in offered)
    assert len({to_utc(p.at) for p in offered}) == len(offered)
    assert all(p.at.tzinfo == PARIS for p in offered)


def test_presets_accept_now_in_any_zone():
    now_utc = datetime(2026, 11, 24, 22, 40, tzinfo=UTC)  # 23:40 in Paris
    assert summary(now_utc) == summary(paris(24, 23, 40))


def test_afternoon_preset_is_left_out_when_it_is_not_within_office_hours():
    late_shift = OfficeHours(start=time(14, 0), end=time(22, 0))
    assert summary(paris(24, 23, 0), late_shift) == [("tomorrow_morning", "Wed 25 14:00")]


def test_sunday_to_thursday_week_in_riyadh():
    riyadh = OfficeHours(time_zone="Asia/Riyadh", working_days=frozenset({6, 0, 1, 2, 3}))
    thursday_evening = datetime(2026, 11, 26, 17, 30, tzinfo=UTC)  # 20:30 in Riyadh
    with override("fr"):
        [sunday] = presets(thursday_evening, riyadh)
    assert (sunday.key, sunday.label) == ("monday_morning", "Dimanche matin")
    assert sunday.at == datetime(2026, 11, 29, 8, 0, tzinfo=ZoneInfo("Asia/Riyadh"))
    assert sunday.at.utcoffset() == timedelta(hours=3)
    assert sunday.description == "dimanche 29 nov. 08:00, heure de Riyadh"

    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=ZoneInfo("Asia/Riyadh"))
    assert summary(saturday, riyadh) == [
        ("tomorrow_morning", "Sun 29 08:00"),
        ("tomorrow_afternoon", "Sun 29 13:00"),
    ]
    friday_noon = datetime(2026, 11, 27, 12, 0, tzinfo=ZoneInfo("Asia/Riyadh"))
    assert not is_office_time(friday_noon, riyadh)


def test_tuesday_to_saturday_week_labels_the_next_working_day():
    hours = OfficeHours(working_days=frozenset({1, 2, 3, 4, 5}))
    with override("fr"):
        [tuesday] = presets(paris(28, 20, 0), hours)
    assert (tuesday.label, tuesday.at) == ("Mardi matin", paris(1, 8, 0, month=12))
    with override("en"):
        assert presets(paris(28, 20, 0), hours)[0].label == "Tuesday morning"


def test_polish_user_in_warsaw():
    warsaw = OfficeHours(time_zone="Europe/Warsaw", start=time(9, 0), end=time(17, 0))
    friday = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)  # 16:30 in Warsaw
    assert is_office_time(friday, warsaw)
    assert not is_office_time(friday + timedelta(hours=1), warsaw)
    with override("en"):
        monday, slot = presets(friday, warsaw)
    assert (monday.key, monday.at.isoformat()) == ("monday_morning", "2026-11-30T09:00:00+01:00")
    assert monday.description == "Mon 30 Nov 09:00, Warsaw time"
    assert (slot.key, slot.at.isoformat()) == ("next_office_slot", "2026-11-27T16:35:00+01:00")


# --- labels and descriptions in French and English ---------------------------------------------


def test_labels_and_descriptions_in_french():
    with override("fr"):
        labels = [(p.label, p.description) for p in presets(paris(30, 0, 10), HOURS)]
        [monday] = presets(paris(27, 20, 0), HOURS)
    assert labels == [
        ("Demain matin", "mardi 1 déc. 08:00, heure de Paris"),
        ("Demain après-midi", "mardi 1 déc. 13:00, heure de Paris"),
        ("Prochain créneau de bureau", "lundi 30 nov. 08:00, heure de Paris"),
    ]
    assert (monday.label, monday.description) == ("Lundi matin", "lundi 30 nov. 08:00, heure de Paris")


def test_labels_and_descriptions_in_english():
    with override("en"):
        labels = [(p.label, p.description) for p in presets(paris(30, 0, 10), HOURS)]
        [monday] = presets(paris(27, 20, 0), HOURS)
    assert labels == [
        ("Tomorrow morning", "Tue 1 Dec 08:00, Paris time"),
        ("Tomorrow afternoon", "Tue 1 Dec 13:00, Paris time"),
        ("Next office slot", "Mon 30 Nov 08:00, Paris time"),
    ]
    assert (monday.label, monday.description) == ("Monday morning", "Mon 30 Nov 08:00, Paris time")


def test_description_shows_the_year_when_it_is_not_this_year_and_multi_word_cities():
    new_year = paris(4, 8, 0, month=1, year=2027)
    with override("fr"):
        assert (
            describe(new_year, HOURS, now=paris(30, 10, 0, month=12))
            == "lundi 4 jan. 2027 08:00, heure de Paris"
        )
        assert describe(new_year, HOURS) == "lundi 4 jan. 08:00, heure de Paris"
    buenos_aires = OfficeHours(time_zone="America/Argentina/Buenos_Aires")
    with override("en"):
        assert describe(new_year, buenos_aires) == "Mon 4 Jan 04:00, Buenos Aires time"


# --- office hours -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment, inside",
    [
        (paris(24, 7, 59, 59), False),
        (paris(24, 8, 0), True),
        (paris(24, 17, 59, 59), True),
        (paris(24, 18, 0), False),
        (paris(28, 10, 0), False),  # Saturday
        (datetime(2026, 11, 24, 9, 0, tzinfo=UTC), True),  # 10:00 in Paris
        (datetime(2026, 11, 24, 6, 59, tzinfo=UTC), False),  # 07:59 in Paris
    ],
)
def test_is_office_time(moment, inside):
    assert is_office_time(moment, HOURS) is inside


@pytest.mark.parametrize(
    "now, start",
    [
        (paris(24, 7, 59), paris(24, 8, 0)),
        (paris(24, 8, 0), paris(25, 8, 0)),  # strictly after now: the next working period
        (paris(24, 12, 0), paris(25, 8, 0)),
        (paris(27, 18, 0), paris(30, 8, 0)),
        (paris(29, 23, 59), paris(30, 8, 0)),
    ],
)
def test_next_office_start(now, start):
    assert next_office_start(now, HOURS) == start


def test_next_office_start_with_a_single_working_day_is_a_week_later():
    wednesdays = OfficeHours(working_days=frozenset({2}))
    assert next_office_start(paris(25, 9, 0), wednesdays) == paris(2, 8, 0, month=12)
    assert next_office_slot(paris(25, 9, 0), wednesdays) == paris(25, 9, 5)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"time_zone": "Mars/Olympus_Mons"},
        {"time_zone": ""},
        {"start": time(18, 0), "end": time(8, 0)},
        {"start": time(8, 0), "end": time(8, 0)},
        {"working_days": frozenset()},
        {"working_days": frozenset({7})},
        {"start": time(8, 0, tzinfo=UTC)},
    ],
)
def test_office_hours_refuse_nonsense(kwargs):
    with pytest.raises(ValueError):
        OfficeHours(**kwargs)


def test_office_hours_accept_a_list_of_days_and_name_the_city():
    hours = OfficeHours(time_zone="America/New_York", working_days=[0, 2, 4])
    assert hours.working_days == frozenset({0, 2, 4})
    assert hours.zone == ZoneInfo("America/New_York")
    assert hours.city == "New York"
    assert OfficeHours(time_zone="UTC").city == "UTC"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        presets(datetime(2026, 11, 24, 10, 0), HOURS)
    with pytest.raises(ValueError):
        to_utc(datetime(2026, 11, 24, 10, 0))
    with pytest.raises(ValueError):
        validate_send_at(datetime(2026, 11, 24, 10, 0), paris(24, 9, 0))


# --- daylight saving time ------------------------------------------------------------------------


def test_tomorrow_morning_across_spring_forward_is_0800_paris_time():
    saturday = paris(28, 20, 0, month=3)
    [morning, afternoon] = presets(saturday, EVERY_DAY)
    assert morning.key == "tomorrow_morning"
    assert morning.at.strftime("%Y-%m-%d %H:%M") == "2026-03-29 08:00"
    assert morning.at.utcoffset() == timedelta(hours=2)
    assert paris(28, 8, 0, month=3).utcoffset() == timedelta(hours=1)
    assert to_utc(morning.at) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)
    # 23 hours after Saturday 08:00 on the clock, not 24.
    assert to_utc(morning.at) - to_utc(paris(28, 8, 0, month=3)) == timedelta(hours=23)
    assert to_utc(afternoon.at) == datetime(2026, 3, 29, 11, 0, tzinfo=UTC)


def test_tomorrow_morning_across_fall_back_is_0800_paris_time():
    [morning, _afternoon] = presets(paris(24, 20, 0, month=10), EVERY_DAY)
    assert morning.at.strftime("%Y-%m-%d %H:%M") == "2026-10-25 08:00"
    assert morning.at.utcoffset() == timedelta(hours=1)
    assert paris(24, 8, 0, month=10).utcoffset() == timedelta(hours=2)
    assert to_utc(morning.at) == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "friday, monday_utc",
    [
        (paris(27, 20, 0, month=3), datetime(2026, 3, 30, 6, 0, tzinfo=UTC)),
        (paris(23, 20, 0, month=10), datetime(2026, 10, 26, 7, 0, tzinfo=UTC)),
    ],
)
def test_monday_morning_across_a_dst_weekend(friday, monday_utc):
    with override("fr"):
        [monday] = presets(friday, HOURS)
    assert monday.label == "Lundi matin"
    assert monday.at.hour == 8
    assert to_utc(monday.at) == monday_utc


def test_office_start_inside_the_spring_gap_moves_forward():
    night_owl = OfficeHours(start=time(2, 30), working_days=frozenset(range(7)))
    start = next_office_start(paris(28, 23, 0, month=3), night_owl)
    assert start.isoformat() == "2026-03-29T03:30:00+02:00"
    assert to_utc(start) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_next_office_slot_rounds_in_real_time_across_the_gap():
    around_the_clock = OfficeHours(start=time(0, 0), end=time(23, 59), working_days=frozenset(range(7)))
    before_the_jump = paris(29, 1, 58, month=3)
    slot = next_office_slot(before_the_jump, around_the_clock)
    assert slot.isoformat() == "2026-03-29T03:00:00+02:00"
    assert to_utc(slot) - to_utc(before_the_jump) == timedelta(minutes=2)


# --- off-hours nudge ------------------------------------------------------------------------------


def test_nudge_at_night_in_french_and_english():
    with override("fr"):
        nudge = off_hours_suggestion(paris(24, 23, 40), HOURS)
    assert nudge.message == "Il est 23:40. Programmer pour demain 08:00 ?"
    assert nudge.local_now == paris(24, 23, 40)
    assert (nudge.suggested.key, nudge.suggested.at) == ("tomorrow_morning", paris(25, 8, 0))
    assert nudge.suggested.label == "Demain matin"
    assert nudge.suggested.description == "mercredi 25 nov. 08:00, heure de Paris"
    with override("en"):
        assert (
            off_hours_suggestion(paris(24, 23, 40), HOURS).message
            == "It is 23:40. Schedule for tomorrow 08:00?"
        )


def test_nudge_uses_the_users_local_time_when_now_is_utc():
    with override("fr"):
        nudge = off_hours_suggestion(datetime(2026, 11, 24, 22, 40, tzinfo=UTC), HOURS)
    assert nudge.message == "Il est 23:40. Programmer pour demain 08:00 ?"
    assert nudge.local_now.tzinfo == PARIS


@pytest.mark.parametrize("now", [paris(24, 10, 0), paris(24, 8, 0), paris(24, 17, 59)])
def test_no_nudge_inside_office_hours(now):
    assert off_hours_suggestion(now, HOURS) is None


@pytest.mark.parametrize(
    "now, message, key",
    [
        (paris(28, 11, 0), "Il est 11:00. Programmer pour lundi 08:00 ?", "monday_morning"),
        (paris(27, 18, 0), "Il est 18:00. Programmer pour lundi 08:00 ?", "monday_morning"),
        (paris(29, 22, 15), "Il est 22:15. Programmer pour demain 08:00 ?", "tomorrow_morning"),
        (paris(30, 0, 10), "Il est 00:10. Programmer pour aujourd'hui 08:00 ?", "next_office_slot"),
        (paris(24, 7, 59), "Il est 07:59. Programmer pour aujourd'hui 08:00 ?", "next_office_slot"),
    ],
)
def test_nudge_outside_office_hours(now, message, key):
    with override("fr"):
        nudge = off_hours_suggestion(now, HOURS)
    assert (nudge.message, nudge.suggested.key) == (message, key)
    assert nudge.suggested.at == next_office_start(now, HOURS)


def test_nudge_a_week_ahead_names_the_date():
    wednesdays = OfficeHours(working_days=frozenset({2}))
    with override("fr"):
        nudge = off_hours_suggestion(paris(25, 19, 0), wednesdays)
    assert nudge.message == "Il est 19:00. Programmer pour mercredi 2 déc. 08:00 ?"


# --- validation -----------------------------------------------------------------------------------


NOW = paris(24, 10, 0)


@pytest.mark.parametrize(
    "at",
    [
        NOW,
        NOW - timedelta(seconds=60),  # tolerance for the form's round trip: sent at once
        NOW + timedelta(minutes=5),
        NOW + timedelta(days=365),
        datetime(2026, 11, 24, 9, 30, tzinfo=UTC),  # 10:30 in Paris
    ],
)
def test_validate_send_at_accepts(at):
    assert validate_send_at(at, NOW) is None


def test_validate_send_at_refuses_the_past_and_beyond_the_horizon():
    with override("fr"):
        assert validate_send_at(NOW - timedelta(seconds=61), NOW) == "Cette heure est déjà passée."
        assert validate_send_at(NOW + timedelta(days=365, seconds=1), NOW) == (
            "Vous pouvez programmer au plus 365 jours à l'avance."
        )
        assert validate_send_at(NOW + timedelta(days=2), NOW, horizon_days=1) == (
            "Vous pouvez programmer au plus 1 jour à l'avance."
        )
    with override("en"):
        assert validate_send_at(NOW - timedelta(hours=1), NOW) == "This time is in the past."
        assert validate_send_at(NOW + timedelta(days=400), NOW) == "You can schedule at most 365 days ahead."


def test_validate_send_at_compares_instants_not_wall_clocks_in_the_repeated_hour():
    # 02:30 on the second pass (01:30 UTC) is later than 02:45 on the first pass (00:45 UTC).
    now = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=PARIS)
    at = datetime(2026, 10, 25, 2, 45, fold=0, tzinfo=PARIS)
    with override("en"):
        assert validate_send_at(at, now) == "This time is in the past."


# --- parsing <input type="datetime-local"> ----------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-12-01T08:00", "2026-12-01T08:00:00+01:00"),
        ("2026-12-01T08:00:30", "2026-12-01T08:00:30+01:00"),
        (" 2026-07-01 08:00 ", "2026-07-01T08:00:00+02:00"),
        # Spring gap: 02:30 does not exist, it moves forward by the hour skipped.
        ("2026-03-29T02:30", "2026-03-29T03:30:00+02:00"),
        # Autumn fold: 02:30 happens twice, the first one (summer time) is taken.
        ("2026-10-25T02:30", "2026-10-25T02:30:00+02:00"),
    ],
)
def test_parse_local(value, expected):
    parsed = parse_local(value, HOURS)
    assert parsed.isoformat() == expected
    assert parsed.tzinfo == PARIS


def test_parse_local_dst_edges_in_utc():
    assert to_utc(parse_local("2026-03-29T02:30", HOURS)) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert to_utc(parse_local("2026-10-25T02:30", HOURS)) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_parse_local_in_another_zone():
    riyadh = OfficeHours(time_zone="Asia/Riyadh")
    assert to_utc(parse_local("2026-12-01T08:00", riyadh)) == datetime(2026, 12, 1, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "demain",
        "2026-12-01",
        "08:00",
        "2026-13-01T08:00",
        "2026-02-30T08:00",
        "2026-12-01T25:00",
        "2026-12-01T08:00+01:00",
        "2026-12-01T08:00Z",
        "２０２６-12-01T08:00",
        None,
        20261201,
    ],
)
def test_parse_local_returns_none_for_garbage(value):
    assert parse_local(value, HOURS) is None


def test_to_utc():
    assert to_utc(paris(24, 8, 0)) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert to_utc(paris(24, 8, 0)).tzinfo is UTC
