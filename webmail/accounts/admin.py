from django.contrib import admin

from webmail.accounts.models import MailAccount


@admin.register(MailAccount)
class MailAccountAdmin(admin.ModelAdmin):
    """Read-only for operators: never shows the stored password, even encrypted."""

    list_display = ("email", "created_at", "updated_at")
    search_fields = ("email",)
    fields = ("email", "user", "created_at", "updated_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
