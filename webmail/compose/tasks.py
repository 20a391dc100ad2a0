from celery import shared_task

from webmail.compose import service


@shared_task(ignore_result=True)
def forget_abandoned_compositions() -> int:
    return service.forget_abandoned()
