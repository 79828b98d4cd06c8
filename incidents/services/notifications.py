"""Notifications: the bell in the app and the same message by e-mail, in Russian."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from incidents.models import Notification
from mcu.tenancy import municipality_scope


def notifications_email(*, municipality_id: int, notification_ids: list[int]) -> int:
    """E-mail the notifications not yet e-mailed; returns how many were sent.

    Idempotent: a redelivered task finds them marked and sends nothing twice. Users without an
    e-mail address get the bell only.
    """
    sent = 0
    with municipality_scope(municipality_id), transaction.atomic():
        pending = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk__in=notification_ids, emailed_at__isnull=True)
            .select_related("user")
        )
        for notification in pending:
            if notification.user.email:
                send_mail(
                    subject=f"[МЦУ] {notification.title}",
                    message=notification.body or notification.title,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    recipient_list=[notification.user.email],
                )
                sent += 1
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
    return sent


def notifications_mark_read(
    *, user_id: int, municipality_id: int, ids: list[int] | None = None
) -> int:
    with municipality_scope(municipality_id):
        rows = Notification.objects.filter(user_id=user_id, read_at__isnull=True)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        return rows.update(read_at=timezone.now())
