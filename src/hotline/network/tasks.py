"""Background work of the network app: one task per outbox message (ids only in payloads), and the safety net
that re-enqueues what is due. Each task calls one service, imported in its body."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from hotline.core.scheduler import periodic


@task(queue_name="network")
def send_message(outbox_id: int) -> str:
    """Deliver one outbox message if it is due: sign, POST, record the ack or the failure."""
    from hotline.network import services

    return services.send_outbox_message(outbox_id)


@periodic(every=timedelta(minutes=1))
@task()
def enqueue_due_messages() -> int:
    """Safety net: enqueue outbox messages that are due but whose task was lost (a killed worker)."""
    from hotline.network import services

    return services.enqueue_due_messages()
