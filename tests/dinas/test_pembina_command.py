"""Operators create pembina with ``manage.py create_pembina`` (audited); an unknown
place or an operator account is refused with a clear error and nothing written."""

import io

import pytest
from django.core.management import CommandError, call_command

from core.audit.models import AuditEvent
from core.users.models import User
from lumbung.dinas.models import Pembina

from .conftest import KAPUAS, PROVINCE, make_operator

pytestmark = pytest.mark.django_db


def test_create_then_rescope():
    out = io.StringIO()
    call_command(
        "create_pembina", "Budi@Dinas.test", "--province", PROVINCE, "--regency", KAPUAS, stdout=out
    )
    assert "Kata sandi awal" in out.getvalue()
    p = Pembina.objects.get(user__username="budi@dinas.test")
    assert (p.province, p.regency, p.area_label) == (PROVINCE, KAPUAS, f"{KAPUAS}, {PROVINCE}")
    assert p.user.operator_role == "" and p.user.role == ""
    out = io.StringIO()
    call_command("create_pembina", "budi@dinas.test", "--province", PROVINCE, stdout=out)
    assert "Kata sandi awal" not in out.getvalue()
    p.refresh_from_db()
    assert p.regency == ""
    actions = list(
        AuditEvent.objects.filter(target_type="dinas.pembina")
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == ["dinas.pembina_create", "dinas.pembina_rescope"]


@pytest.mark.parametrize(
    "args",
    [
        ["x@dinas.test", "--province", "Atlantis"],
        ["x@dinas.test", "--province", PROVINCE, "--regency", "Kabupaten Banjar"],
        ["bukan-email", "--province", PROVINCE],
    ],
)
def test_bad_input_is_refused_and_nothing_written(args):
    with pytest.raises(CommandError):
        call_command("create_pembina", *args, stdout=io.StringIO())
    assert not User.objects.filter(username="x@dinas.test").exists()
    assert not Pembina.objects.exists()


def test_an_operator_cannot_become_a_pembina():
    op = make_operator("support")
    with pytest.raises(CommandError):
        call_command("create_pembina", op.username, "--province", PROVINCE, stdout=io.StringIO())
    assert not Pembina.objects.filter(user=op).exists()
