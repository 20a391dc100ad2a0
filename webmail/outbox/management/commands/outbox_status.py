"""What the outbox holds right now, for an operator: counts by state, the oldest pending message,
and the overdue ones (their deadline passed more than OUTBOX_GRACE_SECONDS ago: no worker took
them). Ids, times and accounts only, never subjects or recipients."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone

from webmail.outbox import service
from webmail.outbox.models import OutboxMessage, State


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S %Z}"


def _ago(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


class Command(BaseCommand):
    help = "Show the outbox: counts by state, the oldest pending message, overdue and stuck messages."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=20, help="overdue messages listed one by one (default 20)")

    def handle(self, *args, limit, **options):
        now = timezone.now()
        counts = dict(OutboxMessage.objects.values_list("state").annotate(n=Count("pk")).order_by())
        scheduled = OutboxMessage.objects.filter(state=State.PENDING, scheduled=True).count()
        out = [f"Outbox at {_when(now)}"]
        for state in State:
            line = f"  {state.value:<10} {counts.get(state.value, 0):>6}"
            if state == State.PENDING:
                line += f"   ({scheduled} scheduled)"
            out.append(line)

        oldest = OutboxMessage.objects.filter(state=State.PENDING).defer("raw").order_by("deadline").first()
        if oldest is None:
            out.append("Oldest pending: none")
        else:
            late = (now - oldest.deadline).total_seconds()
            due = f"{_ago(late)} ago" if late >= 0 else f"in {_ago(-late)}"
            out.append(f"Oldest pending: #{oldest.pk}, due {_when(oldest.deadline)} ({due}), "
                       f"queued {_when(oldest.created_at)}")

        overdue = service.overdue_messages(now).select_related("user").defer("raw").order_by("deadline")
        total = overdue.count()
        out.append(f"Overdue (pending more than {settings.OUTBOX_GRACE_SECONDS} s past the deadline): {total}")
        for message in overdue[:limit]:
            out.append(f"  #{message.pk}  due {_when(message.deadline)}  {_ago((now - message.deadline).total_seconds())}"
                       f" late  attempts {message.attempts}  {message.user.username}")
        if total > limit:
            out.append(f"  … and {total - limit} more")

        stale = now - timedelta(seconds=settings.OUTBOX_STALE_SECONDS)
        stuck = OutboxMessage.objects.filter(state=State.SENDING, claimed_at__lt=stale).count()
        out.append(f"Sending for more than {settings.OUTBOX_STALE_SECONDS} s (a worker died; the sweeper resolves "
                   f"them): {stuck}")
        if total:
            out.append("Is a worker running? `manage.py outbox_redispatch` hands the overdue messages over again.")
        self.stdout.write("\n".join(out))
