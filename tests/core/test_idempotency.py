"""``Idempotency-Key`` on the API (core.common.idempotency): every view that accepts a POST
honours it, the kept answers go after 24 hours (a daily cleanup in every cooperative), an
expired key is free for a new request, and the OpenAPI schema declares the header."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.views import APIView

from core.common.idempotency import IdempotentPostMixin, idempotency_begin
from core.common.models import IdempotencyKey
from core.common.tasks import idempotency_keys_clear_expired_task
from tests.members import factories as f


def _api_views(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _api_views(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def test_every_api_view_that_accepts_a_post_honours_the_idempotency_key():
    missing = []
    for path, view in _api_views(get_resolver("lumbung.api_urls").url_patterns):
        cls = getattr(view, "cls", None)
        assert cls is not None and issubclass(cls, APIView), path
        actions = getattr(view, "actions", None)
        accepts_post = "post" in actions if actions else hasattr(cls, "post")
        if accepts_post and not issubclass(cls, IdempotentPostMixin):
            missing.append(f"{path} ({cls.__module__}.{cls.__name__})")
    assert not missing, missing


def _key(user, name, *, age):
    row = IdempotencyKey.objects.create(
        key=name,
        user=user,
        method="POST",
        path="/api/v1/x/",
        body_sha256="0" * 64,
        status_code=201,
        content_type="application/json",
        body=b"{}",
    )
    IdempotencyKey.objects.filter(pk=row.pk).update(created_at=timezone.now() - age)
    return row


def test_keys_older_than_24_hours_are_deleted_and_newer_ones_kept(in_tenant_a):
    user = f.user("bendahara")
    _key(user, "old", age=timedelta(hours=24, minutes=1))
    _key(user, "new", age=timedelta(hours=23))
    assert idempotency_keys_clear_expired_task.run() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_an_expired_key_is_free_for_a_new_request(in_tenant_a):
    user = f.user("bendahara")
    _key(user, "k", age=timedelta(hours=25))
    with transaction.atomic():
        begun = idempotency_begin(
            key="k", user=user, method="POST", path="/api/v1/y/", digest="1" * 64
        )
    assert begun.replay is None and begun.row.path == "/api/v1/y/"
    assert IdempotencyKey.objects.get(key="k").status_code is None


def test_the_cleanup_is_a_daily_beat_entry_for_every_cooperative():
    entry = settings.CELERY_BEAT_SCHEDULE["idempotency-keys-clear-expired"]
    assert entry["task"] == "tenants.tasks.every_cooperative_task"
    assert entry["args"][0] == "core.common.tasks.idempotency_keys_clear_expired_task"
    assert entry["schedule"] == 24 * 3600


def test_the_openapi_schema_declares_the_header_on_posts_only(in_tenant_a):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    repay = schema["paths"]["/api/v1/loans/{id}/repay/"]["post"]
    header = [p for p in repay["parameters"] if p["name"] == "Idempotency-Key"]
    assert header and header[0]["in"] == "header" and not header[0].get("required")
    assert "422" in repay["responses"]
    loans = schema["paths"]["/api/v1/loans/"]["get"]
    assert not [p for p in loans.get("parameters", []) if p["name"] == "Idempotency-Key"]


def test_the_openapi_header_says_what_a_key_may_hold(in_tenant_a):
    """The header's documented schema is what the API takes (1-255 printable ASCII), so a
    client, or the fuzz sending a documented example, does not make up a key it refuses."""
    import re

    from core.common.idempotency import idempotency_key_check

    schema = SchemaGenerator().get_schema(request=None, public=True)
    repay = schema["paths"]["/api/v1/loans/{id}/repay/"]["post"]
    (header,) = [p for p in repay["parameters"] if p["name"] == "Idempotency-Key"]
    doc = header["schema"]
    assert doc["type"] == "string" and doc["minLength"] == 1 and doc["maxLength"] == 255
    pattern = re.compile(doc["pattern"])
    for taken in ["a", "2f1c-uuid", "x" * 255, "kunci dengan spasi", "!~"]:
        assert pattern.search(taken), taken
        assert idempotency_key_check(taken) == taken
    for refused in ["", "é", "a\tb", "a\x00", "\x7f"]:
        assert not pattern.search(refused), refused


def test_the_database_keeps_only_successes_and_refusals_and_one_row_per_user_and_key(
    in_tenant_a,
):
    user = f.user("bendahara")
    row = _key(user, "k", age=timedelta(0))
    for status in (400, 404, 409, 422, 299):
        with transaction.atomic():
            IdempotencyKey.objects.filter(pk=row.pk).update(status_code=status)
    for status in (500, 503, 302, 199):  # a failure is never kept: its retry must run
        with pytest.raises(IntegrityError), transaction.atomic():
            IdempotencyKey.objects.filter(pk=row.pk).update(status_code=status)
    with pytest.raises(IntegrityError), transaction.atomic():
        IdempotencyKey.objects.filter(pk=row.pk).update(body=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        _key(user, "k", age=timedelta(0))
    assert _key(f.user("petugas"), "k", age=timedelta(0)).key == "k"  # another user's own


def test_the_openapi_header_says_refusals_are_replayed_and_failures_run_again(in_tenant_a):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    repay = schema["paths"]["/api/v1/loans/{id}/repay/"]["post"]
    (header,) = [p for p in repay["parameters"] if p["name"] == "Idempotency-Key"]
    text = header["description"]
    assert "4xx" in text and "database_busy" in text and "5xx" in text
    assert "Error answers are not kept" not in text
