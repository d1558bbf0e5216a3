"""The outbox: task messages written in the transaction of the change that
calls for them, so a message is never lost to a broker that is away
(``outbox.services``)."""

from django.db import models
from django.db.models import Q


class OutboxMessage(models.Model):
    """One Celery task message to publish: the task's name and its JSON
    arguments. Pending until a publish succeeds (``sent_at``); ``attempts``
    counts the publishes tried, ``last_error`` keeps the broker's last
    refusal. Sent rows are pruned after a few days."""

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The sender's scan, oldest first: the pending rows alone.
            models.Index(
                fields=["id"],
                condition=Q(sent_at__isnull=True),
                name="outbox_pending_idx",
            ),
            # The prune of old sent rows.
            models.Index(
                fields=["sent_at"],
                condition=Q(sent_at__isnull=False),
                name="outbox_sent_at_idx",
            ),
        ]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else "pending"
        return f"{self.task_name} #{self.pk} ({state})"
