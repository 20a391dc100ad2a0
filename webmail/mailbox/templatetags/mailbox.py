from datetime import datetime

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.filter
def short_date(value: datetime | None) -> str:
    """Today: the time; this year: day and month; older: the full date, in the active language."""
    if value is None:
        return ""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    local = timezone.localtime(value)
    now = timezone.localtime()
    if local.date() == now.date():
        return formats.time_format(local, "H:i")
    if local.year == now.year:
        return formats.date_format(local, "j M")
    return formats.date_format(local, "SHORT_DATE_FORMAT")


@register.filter
def first_index(page) -> int:
    return (page.number - 1) * page.per_page + 1 if page.total else 0


@register.filter
def last_index(page) -> int:
    return min(page.number * page.per_page, page.total)


@register.filter
def address(value) -> str:
    """A parsed Address as "Name <email>", or just the email when there is no name."""
    name, email = getattr(value, "name", ""), getattr(value, "email", "")
    if name and email and name != email:
        return f"{name} <{email}>"
    return email or name
