"""Tables every app's API shares (core.common is a tenant app: each cooperative's schema
has its own)."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """A POST of the API sent with ``Idempotency-Key`` (``core.common.idempotency``): the
    key, who sent it, what it asked (method, path, SHA-256 of the body) and, once it
    answered, its answer when that was a success or a refusal (2xx, 4xx; never a 5xx,
    whose retry must run). Written in the same transaction as the request's own write, so
    a stored answer always belongs to what committed; kept ``IDEMPOTENCY_KEEP_HOURS``."""

    key = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=10)
    path = models.TextField()
    body_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=200, blank=True)
    body = models.BinaryField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            # one request per key and sender: the second insert waits for the first's
            # transaction, then fails (a replay) or, if the first kept nothing, succeeds
            models.UniqueConstraint(fields=["user", "key"], name="common_idempotency_key_per_user"),
            models.CheckConstraint(
                condition=models.Q(status_code__isnull=True)
                | models.Q(status_code__gte=200, status_code__lt=300, body__isnull=False)
                | models.Q(status_code__gte=400, status_code__lt=500, body__isnull=False),
                name="common_idempotency_only_success_or_refusal_kept",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
