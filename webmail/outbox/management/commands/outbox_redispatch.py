"""Hand overdue messages to the workers again, by hand, e.g. after the broker lost its queue and
before the next sweep. The same code path as the sweeper (service.redispatch_overdue), without its
once-per-OUTBOX_REDISPATCH_SECONDS limit. Safe at any time: a message already being sent or sent
is skipped by the worker's conditional claim, so nothing leaves twice."""

from django.core.management.base import BaseCommand

from webmail.outbox import service


class Command(BaseCommand):
    help = "Re-dispatch overdue outbox messages (pending past their deadline) to the Celery workers."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list the overdue messages, hand over nothing")

    def handle(self, *args, dry_run, **options):
        if dry_run:
            pks = list(service.overdue_messages().order_by("deadline").values_list("pk", flat=True))
            verb = "Would re-dispatch"
        else:
            pks = service.redispatch_overdue(every=0)
            verb = "Re-dispatched"
        if not pks:
            self.stdout.write("No overdue messages.")
            return
        ids = ", ".join(f"#{pk}" for pk in pks)
        self.stdout.write(f"{verb} {len(pks)} overdue message(s): {ids}")
