"""Thin Celery tasks: they carry an outbox id only (no content, no credentials)."""

from celery import shared_task

from webmail.outbox import service


@shared_task(ignore_result=True, acks_late=True)
def deliver(outbox_id: int) -> str:
    return service.deliver(outbox_id)


@shared_task(ignore_result=True)
def sweep() -> dict:
    return service.sweep()
