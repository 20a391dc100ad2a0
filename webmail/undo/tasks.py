"""Thin Celery tasks of the undo app (no arguments, no content)."""

from celery import shared_task

from webmail.undo import service


@shared_task(ignore_result=True)
def forget_old_actions() -> int:
    return service.forget_old()
