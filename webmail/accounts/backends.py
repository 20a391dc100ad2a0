"""Sign-in is an IMAP LOGIN: the mail server is the only password database."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from webmail.accounts.models import MailAccount
from webmail.imap import gateway


class ImapBackend(ModelBackend):
    @sensitive_variables("password")
    def authenticate(self, request, email=None, password=None, **kwargs):
        if not email or not password:
            return None
        email = email.strip()
        try:
            gateway.verify_login(email, password)
        except gateway.AuthenticationFailed:
            return None
        # ServerUnreachable propagates: the view tells "server unreachable", not "wrong password".
        return remember_account(email, password)

    def get_user(self, user_id):
        """The signed-in user of each request, with what every page needs (one query): the mail
        account, and the preferences for the time zone the page's dates are shown in."""
        try:
            user = get_user_model()._default_manager.select_related("mail_account", "preferences").get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


@sensitive_variables("password")
def remember_account(email: str, password: str):
    """Create or reuse the Django user and its mail account; store the password encrypted."""
    with transaction.atomic():
        user, _ = get_user_model().objects.get_or_create(username=email.lower(), defaults={"email": email})
        if user.has_usable_password():
            user.set_unusable_password()
            user.save(update_fields=["password"])
        account, _ = MailAccount.objects.get_or_create(user=user, defaults={"email": email.lower()})
        account.set_password(password)
        account.save(update_fields=["encrypted_password", "updated_at"])
    return user
