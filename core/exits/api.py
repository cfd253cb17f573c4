"""REST API of the exit settlement: ``POST /api/v1/members/<id>/exit-settlement/reverse/``
reverses the member's (latest, not yet reversed) exit settlement (bendahara, admin)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.common.api import SafeJSONParser, request_object
from core.common.errors import REASON_MAX_LENGTH, ApplicationError
from core.common.permissions import STAFF, TREASURY, RolePermission
from core.members.models import Member
from core.savings.models import ExitSettlement

from .services import SettlementErrors, exit_settlement_reverse


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


class ExitSettlementReverse(APIView):
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
