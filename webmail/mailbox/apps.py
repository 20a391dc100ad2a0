from django.apps import AppConfig


class MailboxConfig(AppConfig):
    name = "webmail.mailbox"
    label = "mailbox"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from webmail.imap import gateway
        from webmail.mailbox.message_cache import cache

        user_logged_out.connect(_drop_cached_mail, dispatch_uid="mailbox.drop_cached_mail")
        gateway.pool.housekeeping.append(cache.purge_expired)  # expired entries go on time


def _drop_cached_mail(sender, request, user, **kwargs) -> None:
    """Signing out drops the opened messages this process kept for the account."""
    from webmail.accounts.mail import cache_key
    from webmail.mailbox.message_cache import cache

    account = getattr(user, "mail_account", None) if user is not None else None
    if account is not None:
        cache.drop_account(cache_key(account))
