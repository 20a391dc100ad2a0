"""Thin Celery tasks: an id at most (no content, no credentials); the rows hold the state."""

from celery import shared_task

from webmail.reminders import service


@shared_task(ignore_result=True)
def sweep() -> dict:
    """Beat, every minute: hand each due follow-up and snooze to a worker."""
    follow_ups, snoozes = service.due()
    for pk in follow_ups:
        check_follow_up.delay(pk)
    for pk in snoozes:
        wake.delay(pk)
    return {"follow_ups": len(follow_ups), "snoozes": len(snoozes)}


@shared_task(ignore_result=True, acks_late=True)
def check_follow_up(follow_up_id: int) -> str:
    return service.check_follow_up(follow_up_id)


@shared_task(ignore_result=True, acks_late=True)
def wake(snooze_id: int) -> str:
    return service.wake(snooze_id)
