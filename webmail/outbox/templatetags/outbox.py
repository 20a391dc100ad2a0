from django import template

from webmail.outbox.toasts import toast_context

register = template.Library()


@register.inclusion_tag("outbox/_toasts.html", takes_context=True)
def outbox_toasts(context) -> dict:
    request = context["request"]
    if not request.user.is_authenticated:
        return {"toasts": [], "polling": False, "version": ""}
    return {**toast_context(request), "csrf_token": context.get("csrf_token"), "request": request}
