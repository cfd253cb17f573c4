"""REST API of the exit settlement, what the exit screen does (``/api/v1/members/<id>/
exit-settlement/...``):

- ``GET preview/?on=YYYY-MM-DD``: the settlement's figures on that date (the screen's)
  and every refusal confirming it would meet (staff);
- ``POST confirm/``: an active member's exit settled (bendahara, ketua, admin);
- ``POST left-open/confirm/``: what a member already marked as left still holds open
  settled, their status kept (bendahara, ketua, admin);
- ``POST reverse/``: the member's (latest, not yet reversed) exit settlement reversed
  (bendahara, admin).

Refusals are the services' own, in the one error shape ``{"error": {"code", "message",
"fields"}}``; a refused confirmation writes nothing."""

from __future__ import annotations

from datetime import date

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.common.api import SafeJSONParser, request_object
from core.common.errors import REASON_MAX_LENGTH, ApplicationError
from core.common.fields import RupiahSerializerField
from core.common.idempotency import IdempotentPostMixin
from core.common.permissions import STAFF, TREASURY, RolePermission
from core.ledger.services import date_in_range
from core.members.models import Member
from core.savings.models import ExitSettlement

from .services import (
    SETTLE_ROLES,
    SettlementErrors,
    SettlementPreview,
    exit_settlement_confirm,
    exit_settlement_left_open_confirm,
    exit_settlement_preview,
    exit_settlement_refusals,
    exit_settlement_reverse,
)

MONEY = {"max_digits": 18, "decimal_places": 2}


class ExitReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, help_text="Alasan pembatalan (wajib)"
    )


class ExitSettlementSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExitSettlement
        fields = [
            "id",
            "member",
            "reason",
            "on",
            "savings_total",
            "interest_credited",
            "shu_unpaid",
            "loans_outstanding",
            "loans_waived",
            "net_payable",
            "payee",
            "payee_name",
            "channel",
            "left_open",
            "reversed_at",
            "reversal_reason",
        ]
        read_only_fields = fields


def settlement_to_reverse(member: Member) -> ExitSettlement:
    """The member's latest exit settlement not reversed yet, or a 409."""
    s = member.exit_settlements.filter(reversed_at__isnull=True).order_by("-pk").first()
    if s is None:
        raise ApplicationError(
            SettlementErrors.NOT_SETTLED,
            _("Anggota ini tidak memiliki penyelesaian keluar yang dapat dibatalkan."),
            status=409,
        )
    return s


class ExitSettlementReverse(IdempotentPostMixin, APIView):
    """Reverse a mistaken exit settlement: the member active again (a ``left_open`` one —
    the accounts a member who had left held open — leaves them left), savings reopened with
    their balances, the loans it paid off running again, its journal entry reversed.
    Refused (409): nothing to reverse, loans waived on death, month closed, later
    savings postings."""

    permission_classes = [RolePermission]
    read_roles = STAFF
    write_roles = TREASURY
    parser_classes = [SafeJSONParser]

    @extend_schema(request=ExitReverseSerializer, responses=ExitSettlementSerializer)
    def post(self, request, pk: int):
        s = ExitReverseSerializer(data=request_object(request))
        s.is_valid(raise_exception=True)
        member = get_object_or_404(Member.objects.all(), pk=pk)
        settlement = exit_settlement_reverse(
            settlement=settlement_to_reverse(member),
            by=request.user,
            reason=s.validated_data["reason"],
        )
        settlement.refresh_from_db()
        return Response(ExitSettlementSerializer(settlement).data)


# --- preview and confirmation ----------------------------------------------------------


def _date(raw, field: str) -> date:
    """A date the client sends (``YYYY-MM-DD``): required, a real date, within the range
    the books accept (``date_in_range``); else a 400 naming ``field``."""
    if raw in (None, ""):
        raise ValidationError({field: [_("Wajib diisi (YYYY-MM-DD).")]})
    try:
        value = date.fromisoformat(str(raw))
    except ValueError:
        raise ValidationError({field: [_("Tanggal harus berformat YYYY-MM-DD.")]}) from None
    return date_in_range(value, field=field)


class ExitPreviewAccountSerializer(serializers.Serializer):
    number = serializers.CharField()
    product = serializers.CharField(help_text="Nama produk simpanan")
    kind = serializers.CharField(help_text="pokok, wajib, sukarela, berjangka, ...")
    balance = serializers.DecimalField(**MONEY)
    interest = serializers.DecimalField(
        **MONEY, help_text="Jasa simpanan (bersih) yang dikreditkan penyelesaian ke rekening ini"
    )
    payable = serializers.DecimalField(**MONEY, help_text="Saldo + jasa: yang dibayarkan")
    frozen = serializers.BooleanField()


class ExitPreviewInterestSerializer(serializers.Serializer):
    account = serializers.CharField()
    product = serializers.CharField()
    year = serializers.IntegerField()
    month = serializers.IntegerField()
    until = serializers.DateField(
        allow_null=True, help_text="Bulan keluar: jasa sampai tanggal ini; null: bulan penuh"
    )
    label = serializers.CharField()
    interest = serializers.DecimalField(**MONEY)
    tax = serializers.DecimalField(**MONEY)
    net = serializers.DecimalField(**MONEY)


class ExitPreviewLoanSerializer(serializers.Serializer):
    label = serializers.CharField()
    amount = serializers.DecimalField(**MONEY, help_text="Pokok + jasa sampai tanggal itu")


class ExitPreviewHeirSerializer(serializers.Serializer):
    full_name = serializers.CharField()
    relationship = serializers.CharField()
    share_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class ExitRefusalSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ExitPreviewSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    member_number = serializers.CharField()
    member_name = serializers.CharField()
    on = serializers.DateField()
    left_open = serializers.BooleanField(
        help_text="Anggota sudah tercatat keluar: yang diselesaikan adalah rekening dan "
        "pinjaman yang masih terbuka (left-open/confirm/)"
    )
    accounts = ExitPreviewAccountSerializer(many=True)
    savings_total = serializers.DecimalField(**MONEY)
    interest = ExitPreviewInterestSerializer(many=True)
    interest_total = serializers.DecimalField(**MONEY)
    interest_notes = serializers.ListField(child=serializers.CharField())
    shu_unpaid = serializers.DecimalField(**MONEY)
    loans = ExitPreviewLoanSerializer(many=True)
    loans_outstanding = serializers.DecimalField(**MONEY)
    net_payable = serializers.DecimalField(
        **MONEY, help_text="Dibayarkan; negatif: kekurangan yang harus dilunasi anggota"
    )
    net_payable_loans_waived = serializers.DecimalField(
        **MONEY, help_text="Dibayarkan bila pinjaman dihapus (meninggal, keputusan pengurus)"
    )
    owed = serializers.DecimalField(**MONEY, help_text="Kekurangan yang harus dilunasi dulu")
    heirs = ExitPreviewHeirSerializer(many=True)
    refusals = ExitRefusalSerializer(many=True)
    can_confirm = serializers.BooleanField(help_text="Tidak ada penolakan")


def _preview_data(preview: SettlementPreview, refusals: list[tuple[str, str]]) -> dict:
    member = preview.member
    interest_of: dict[str, object] = {}
    for x in preview.interest:
        interest_of[x["account"]] = interest_of.get(x["account"], 0) + x["net"]
    net = preview.net_payable
    return {
        "member": member.pk,
        "member_number": member.number,
        "member_name": member.full_name,
        "on": preview.on,
        "left_open": preview.left_open,
        "accounts": [
            {
                "number": a.number,
                "product": a.product.name,
                "kind": a.product.kind,
                "balance": a.balance,
                "interest": interest_of.get(a.number, 0),
                "payable": a.balance + interest_of.get(a.number, 0),
                "frozen": a.frozen_at is not None,
            }
            for a in preview.accounts
        ],
        "savings_total": preview.savings_total,
        "interest": preview.interest,
        "interest_total": preview.interest_total,
        "interest_notes": preview.interest_notes,
        "shu_unpaid": preview.shu_unpaid,
        "loans": preview.loans,
        "loans_outstanding": preview.loans_outstanding,
        "net_payable": net,
        "net_payable_loans_waived": preview.net(waive_loans=True),
        "owed": max(-net, 0),
        "heirs": list(
            member.heirs.filter(is_active=True)
            .order_by("pk")
            .values("full_name", "relationship", "share_percent")
        ),
        "refusals": [{"code": c, "message": m} for c, m in refusals],
        "can_confirm": not refusals,
    }


class ExitSettlementPreview(APIView):
    """The settlement's figures on ``on`` (required), as the exit screen shows them:
    each savings account with the jasa simpanan the settlement credits it, the unpaid
    SHU, each running loan's payoff, what is paid out (or owed), and every refusal
    confirming would meet (``can_confirm``). For a member already marked as left, what
    they left open (``left_open``)."""

    permission_classes = [RolePermission]
    read_roles = STAFF

    @extend_schema(
        responses=ExitPreviewSerializer,
        parameters=[
            OpenApiParameter("on", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD")
        ],
    )
    def get(self, request, pk: int):
        on = _date(request.query_params.get("on"), "on")
        member = get_object_or_404(Member.objects.all(), pk=pk)
        preview = exit_settlement_preview(member=member, on=on)
        refusals = exit_settlement_refusals(preview=preview)
        return Response(ExitPreviewSerializer(_preview_data(preview, refusals)).data)


class ExitLeftOpenConfirmSerializer(serializers.Serializer):
    on = serializers.CharField(max_length=10, help_text="YYYY-MM-DD: tanggal penyelesaian")
    reason = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="Bila diisi: status keluar anggota itu (tidak diubah)",
    )
    channel = serializers.CharField(max_length=10, default="bank", help_text="bank atau cash")
    payee = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        default="",
        help_text="member atau heirs (default: heirs bila meninggal, selain itu member)",
    )
    waive_loans = serializers.BooleanField(
        default=False, help_text="Hapus pinjaman (meninggal, keputusan pengurus)"
    )
    waiver_reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    board_decision_ref = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    expected_net = RupiahSerializerField(
        whole=False,
        allow_negative=True,
        help_text="Yang dibayarkan menurut preview (net_payable, atau "
        "net_payable_loans_waived bila pinjaman dihapus); ditolak bila sudah berubah",
    )


class ExitConfirmSerializer(ExitLeftOpenConfirmSerializer):
    on = serializers.CharField(max_length=10, help_text="YYYY-MM-DD: tanggal keluar")
    reason = serializers.CharField(
        max_length=20, help_text="resigned, retired, moved atau deceased"
    )


class _ExitConfirmView(IdempotentPostMixin, APIView):
    permission_classes = [RolePermission]
    read_roles = STAFF
    write_roles = SETTLE_ROLES
    parser_classes = [SafeJSONParser]
    body = ExitLeftOpenConfirmSerializer

    def confirm(self, *, member: Member, by, on: date, d: dict) -> ExitSettlement:
        raise NotImplementedError

    def post(self, request, pk: int):
        s = self.body(data=request_object(request))
        s.is_valid(raise_exception=True)
        d = s.validated_data
        on = _date(d["on"], "on")
        member = get_object_or_404(Member.objects.all(), pk=pk)
        settlement = self.confirm(member=member, by=request.user, on=on, d=d)
        return Response(ExitSettlementSerializer(settlement).data, status=201)


def _settlement_inputs(d: dict) -> dict:
    return {
        "channel": d["channel"],
        "payee": d["payee"],
        "waive_loans": d["waive_loans"],
        "waiver_reason": d["waiver_reason"],
        "board_decision_ref": d["board_decision_ref"],
        "expected_net": d["expected_net"],
    }


class ExitSettlementConfirm(_ExitConfirmView):
    """Settle an active member's exit (bendahara, ketua, admin), as the screen's
    *Konfirmasi penyelesaian*: every savings account paid out (with the jasa not yet
    run) and closed, the loans offset (or written off on death), the unpaid SHU paid,
    one journal entry, the member's status set. ``expected_net`` is the preview's
    figure: a changed one is refused (``settlement_changed``). Refused (the services'
    codes): no longer active (409, also a second confirmation), a bad reason, payee or
    waiver, a future date, a date before the last movement, a frozen account, loans
    above the payout, a payroll batch posting the member, a closed month's jasa."""

    body = ExitConfirmSerializer

    @extend_schema(request=ExitConfirmSerializer, responses={201: ExitSettlementSerializer})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def confirm(self, *, member, by, on, d):
        return exit_settlement_confirm(
            member=member, reason=d["reason"], on=on, by=by, **_settlement_inputs(d)
        )


class ExitSettlementLeftOpenConfirm(_ExitConfirmView):
    """Settle what a member already marked as left still holds open (bendahara, ketua,
    admin), as the screen's *Selesaikan rekening yang masih terbuka*: the same
    calculation and posting, their status and exit date kept. Refused (the services'
    codes): an active member (``settlement_member_active``), nothing left open or a
    settlement already made (409, also a second confirmation), a date before the exit,
    and the exit's own refusals."""

    body = ExitLeftOpenConfirmSerializer

    @extend_schema(request=ExitLeftOpenConfirmSerializer, responses={201: ExitSettlementSerializer})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def confirm(self, *, member, by, on, d):
        return exit_settlement_left_open_confirm(
            member=member, reason=d["reason"], on=on, by=by, **_settlement_inputs(d)
        )
