"""The outbox in the Django admin, read-only for operators.

Operators see where each message is in the state machine and when, never what it says or to whom:
no subject, body, raw bytes or recipients, and not the composition (its name is the subject).
`last_error` is operational (an SMTP reply, a connection failure) but may quote recipients
("refused: bob@…", "550 <bob@…>: no such user"), so it is shown with every address masked.
Nothing can be added, changed or deleted here: the outbox changes only through its state machine.
"""

import re

from django.contrib import admin

from webmail.outbox.models import OutboxMessage

ADDRESS = re.compile(r"[^\s<>(),;:\"']+@[^\s<>(),;:\"']+")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "state", "scheduled", "deadline", "attempts", "created_at", "sent_at", "filed")
    list_filter = ("state", "scheduled")
    list_select_related = ("user",)
    search_fields = ("user__username", "message_id")
    date_hierarchy = "deadline"
    actions = None
    fields = (
        "user", "state", "scheduled", "deadline", "attempts", "failure_kind", "error", "message_id", "task_id",
        "created_at", "dispatched_at", "claimed_at", "smtp_started_at", "sent_at", "filed", "sent_folder",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("raw", "subject", "recipients")

    @admin.display(description="last error (addresses masked)")
    def error(self, message: OutboxMessage) -> str:
        return ADDRESS.sub("<address>", message.last_error) or "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
