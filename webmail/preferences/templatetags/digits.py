from django import template

from webmail.preferences import digits as numbering

register = template.Library()


@register.filter
def digits(value) -> str:
    """A date, time or count the interface writes, in the digits of the user's choice."""
    return numbering.shape(str(value))


@register.simple_tag
def numbering_system() -> str:
    """For <html data-digits>: scripts that write numbers (the countdown) follow it."""
    return numbering.current()
