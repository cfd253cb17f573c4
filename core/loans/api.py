"""REST API of core.loans (/api/v1/loans/...): products, loans with their workflow
actions, schedules, repayments, simulation, settings. Views validate input, call one
service or selector and shape the output; services enforce the business roles."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.common.fields import RupiahSerializerField
from core.common.money import RupiahError, parse_rupiah
from core.common.permissions import MONEY_WRITERS, STAFF, RolePermission
from core.members.models import Member
from core.users.models import User

from . import services as svc
from .models import (
    Instalment,
    Loan,
    LoanDocument,
    LoanProduct,
    LoanSettings,
    Repayment,
    Reschedule,
)

R = User.Role
STAFF_AND_MEMBERS = STAFF | {R.ANGGOTA}
WRITERS_AND_MEMBERS = MONEY_WRITERS | {R.ANGGOTA}


def _own_member(user) -> Member | None:
    return getattr(user, "member", None) if user.role == R.ANGGOTA else None


def _date(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: ["Tanggal harus berformat YYYY-MM-DD."]})


def _rupiah(value, field: str):
    """A rupiah amount typed by a person (the one parser); ``None`` stays ``None``, and
    sen or a negative amount reach the service, which refuses them with its own code."""
    if value in (None, ""):
        return value
    try:
        return parse_rupiah(value, field=field, whole=False, allow_negative=True)
    except RupiahError as e:
        raise ValidationError({field: [e.text]}) from None


# --- serializers --------------------------------------------------------------------


class LoanProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = LoanProduct
        fields = ["id", *svc.PRODUCT_FIELDS]


class LoanInstalmentSerializer(serializers.ModelSerializer):
    total = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)

    class Meta:
        model = Instalment
        fields = [
            "number",
            "version",
            "is_current",
            "due_date",
            "principal",
            "jasa",
            "total",
            "principal_paid",
            "jasa_paid",
            "jasa_waived",
            "penalty_paid",
            "settled",
            "settled_on",
        ]


class LoanRepaymentSerializer(serializers.ModelSerializer):
    receipt_number = serializers.CharField(read_only=True)
    loan_number = serializers.CharField(source="loan.number", read_only=True)
    entry = serializers.CharField(source="entry_id", read_only=True)

    class Meta:
        model = Repayment
        fields = [
            "id",
            "receipt_number",
            "loan",
            "loan_number",
            "paid_on",
            "channel",
            "kind",
            "amount",
            "penalty",
            "jasa",
            "principal",
            "excess",
            "excess_to",
            "early_payoff_fee",
            "entry",
        ]


class LoanDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = LoanDocument
        fields = ["id", "kind", "uploaded_at"]


class LoanRescheduleSerializer(serializers.ModelSerializer):
    """One change of a loan's terms (the history of a restructured loan)."""

    class Meta:
        model = Reschedule
        fields = [
            "on",
            "version_from",
            "version_to",
            "principal_before",
            "capitalised_jasa",
            "waived_penalty",
            "old_tenor",
            "new_tenor",
            "old_rate",
            "new_rate",
            "rate_period",
            "grade_before",
            "first_due_date",
            "reason",
        ]
        read_only_fields = fields


class LoanSerializer(serializers.ModelSerializer):
    member_number = serializers.CharField(source="member.number", read_only=True)
    member_name = serializers.CharField(source="member.full_name", read_only=True)
    product_code = serializers.CharField(source="product.code", read_only=True)
    documents = LoanDocumentSerializer(many=True, read_only=True)
    topup_of = serializers.CharField(source="topup_of.number", default=None, read_only=True)
    restructured = serializers.BooleanField(source="is_restructured", read_only=True)
    reschedules = LoanRescheduleSerializer(many=True, read_only=True)

    class Meta:
        model = Loan
        fields = [
            "id",
            "number",
            "member",
            "member_number",
            "member_name",
            "product",
            "product_code",
            "status",
            "principal",
            "tenor",
            "method",
            "rate",
            "rate_period",
            "purpose",
            "topup_of",
            "applied_on",
            "verified_at",
            "approved_at",
            "rejected_at",
            "rejection_reason",
            "disbursed_on",
            "disbursed_via",
            "admin_fee",
            "provisi",
            "insurance",
            "wajib_pinjam",
            "risk_fund",
            "topup_settlement",
            "net_disbursed",
            "first_due_date",
            "principal_outstanding",
            "days_past_due",
            "kolektibilitas",
            "ppap_amount",
            "restructured",
            "restructured_on",
            "restructured_grade",
            "deferred_jasa",
            "reschedules",
            "closed_on",
            "closed_by",
            "documents",
        ]
        read_only_fields = fields


class LoanApplySerializer(serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.all(), required=False)
    product = serializers.PrimaryKeyRelatedField(queryset=LoanProduct.objects.all())
    principal = RupiahSerializerField(min_value=1)
    tenor = serializers.IntegerField()
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=300)
    topup_of = serializers.PrimaryKeyRelatedField(
        queryset=Loan.objects.all(), required=False, allow_null=True
    )
    application_letter = serializers.FileField()
    payslip = serializers.FileField()


class LoanSimulateSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=LoanProduct.objects.all())
    principal = RupiahSerializerField(min_value=1)
    tenor = serializers.IntegerField()


class LoanSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = LoanSettings
        fields = [*svc.LOAN_SETTINGS_FIELDS, "last_arrears_run"]
        read_only_fields = ["last_arrears_run"]


# --- views --------------------------------------------------------------------------


class ProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Loan products: everybody (members too) reads; admins create and change."""

    serializer_class = LoanProductSerializer
    permission_classes = [RolePermission]
    read_roles = STAFF_AND_MEMBERS
    write_roles = svc.PRODUCT_ROLES
    queryset = LoanProduct.objects.all().order_by("code")

    def get_queryset(self):
        qs = super().get_queryset()
        return qs.filter(is_active=True) if self.request.user.role == R.ANGGOTA else qs

    def perform_create(self, serializer):
        serializer.instance = svc.loan_product_save(
            by=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = svc.loan_product_save(
            by=self.request.user, product=serializer.instance, **serializer.validated_data
        )


class SimulateView(APIView):
    """POST {product, principal, tenor} -> fees, net and the full schedule."""

    permission_classes = [RolePermission]
    read_roles = STAFF_AND_MEMBERS
    write_roles = STAFF_AND_MEMBERS

    @extend_schema(request=LoanSimulateSerializer, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        s = LoanSimulateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        sim = svc.loan_simulate(
            product=s.validated_data["product"],
            principal=s.validated_data["principal"],
            tenor=s.validated_data["tenor"],
            on=timezone.localdate(),
        )
        return Response(sim.as_dict())


class LoanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Loans. Staff see all, members their own. POST = apply (multipart with the
    application letter and payslip); actions verify / approve / reject / disburse /
    repay / payoff / reschedule; schedule and payoff quote."""

    serializer_class = LoanSerializer
    permission_classes = [RolePermission]
    read_roles = STAFF_AND_MEMBERS
    write_roles = WRITERS_AND_MEMBERS
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    queryset = Loan.objects.none()

    def get_queryset(self) -> QuerySet[Loan]:
        if getattr(self, "swagger_fake_view", False):
            return Loan.objects.none()
        qs = Loan.objects.select_related("member", "product", "topup_of").prefetch_related(
            "documents", "reschedules"
        )
        user = self.request.user
        if user.role == R.ANGGOTA:
            m = _own_member(user)
            return qs.filter(member=m) if m else qs.none()
        p = self.request.query_params
        if p.get("status"):
            qs = qs.filter(status=p["status"])
        if p.get("member"):
            qs = qs.filter(member_id=p["member"])
        return qs.order_by("-id")

    def create(self, request):
        s = LoanApplySerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        member = d.get("member") or _own_member(request.user)
        if member is None:
            raise ValidationError({"member": ["Wajib diisi."]})
        loan = svc.loan_apply(
            member=member,
            product=d["product"],
            principal=d["principal"],
            tenor=d["tenor"],
            by=request.user,
            purpose=d.get("purpose", ""),
            topup_of=d.get("topup_of"),
            documents=[
                ("application_letter", d["application_letter"]),
                ("payslip", d["payslip"]),
            ],
        )
        return Response(LoanSerializer(loan).data, status=201)

    def _loan(self, pk) -> Loan:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def _done(self, loan: Loan, status: int = 200) -> Response:
        loan = Loan.objects.select_related("member", "product").get(pk=loan.pk)
        return Response(LoanSerializer(loan).data, status=status)

    @action(detail=True, methods=["get"])
    def schedule(self, request, pk=None):
        loan = self._loan(pk)
        qs = loan.instalments.all()
        if request.query_params.get("history") not in ("1", "true"):
            qs = qs.filter(is_current=True)
        return Response(LoanInstalmentSerializer(qs.order_by("version", "number"), many=True).data)

    @action(detail=True, methods=["get"], url_path="payoff-quote")
    def payoff_quote(self, request, pk=None):
        loan = self._loan(pk)
        on = _date(request.query_params.get("on"), "on") or timezone.localdate()
        q = svc.loan_payoff_quote(loan=loan, on=on)
        return Response({k: str(v) for k, v in q.items()})

    @action(detail=True, methods=["post"])
    def documents(self, request, pk=None):
        """Upload another document (multipart: kind, file)."""
        loan = self._loan(pk)
        f = request.FILES.get("file")
        if f is None:
            raise ValidationError({"file": ["Wajib diunggah."]})
        doc = svc.loan_document_add(
            loan=loan, kind=request.data.get("kind", ""), file=f, by=request.user
        )
        return Response(LoanDocumentSerializer(doc).data, status=201)

    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        return self._done(
            svc.loan_verify(loan=self._loan(pk), by=request.user, note=request.data.get("note", ""))
        )

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._done(
            svc.loan_approve(
                loan=self._loan(pk), by=request.user, note=request.data.get("note", "")
            )
        )

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._done(
            svc.loan_reject(
                loan=self._loan(pk), by=request.user, reason=request.data.get("reason", "")
            )
        )

    @action(detail=True, methods=["post"])
    def disburse(self, request, pk=None):
        loan = self._loan(pk)
        svc.loan_disburse(
            loan=loan,
            by=request.user,
            on=_date(request.data.get("on"), "on"),
            via=request.data.get("via", Loan.Channel.CASH),
            first_due_date=_date(request.data.get("first_due_date"), "first_due_date"),
        )
        return self._done(loan)

    @action(detail=True, methods=["post"])
    def repay(self, request, pk=None):
        rep = svc.loan_repay(
            loan=self._loan(pk),
            amount=_rupiah(request.data.get("amount"), "amount"),
            by=request.user,
            on=_date(request.data.get("on"), "on"),
            channel=request.data.get("channel", Repayment.Channel.COUNTER),
            excess_to=request.data.get("excess_to", ""),
        )
        return Response(LoanRepaymentSerializer(rep).data, status=201)

    @action(detail=True, methods=["post"])
    def payoff(self, request, pk=None):
        rep = svc.loan_payoff(
            loan=self._loan(pk),
            by=request.user,
            on=_date(request.data.get("on"), "on"),
            channel=request.data.get("channel", Repayment.Channel.COUNTER),
        )
        return Response(LoanRepaymentSerializer(rep).data, status=201)

    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        loan = self._loan(pk)
        svc.loan_reschedule(
            loan=loan,
            by=request.user,
            tenor=request.data.get("tenor"),
            rate=request.data.get("rate"),
            reason=request.data.get("reason", ""),
            on=_date(request.data.get("on"), "on"),
            first_due_date=_date(request.data.get("first_due_date"), "first_due_date"),
        )
        return self._done(loan)


class RepaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = LoanRepaymentSerializer
    permission_classes = [RolePermission]
    read_roles = STAFF_AND_MEMBERS

    queryset = Repayment.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Repayment.objects.none()
        qs = Repayment.objects.select_related("loan").order_by("-paid_on", "-id")
        user = self.request.user
        if user.role == R.ANGGOTA:
            m = _own_member(user)
            return qs.filter(loan__member=m) if m else qs.none()
        if self.request.query_params.get("loan"):
            qs = qs.filter(loan_id=self.request.query_params["loan"])
        return qs


class SettingsView(APIView):
    """Kolektibilitas thresholds and PPAP rates: staff read, admins change."""

    permission_classes = [RolePermission]
    read_roles = STAFF
    write_roles = svc.SETTINGS_ROLES
    serializer_class = LoanSettingsSerializer

    def get(self, request):
        return Response(LoanSettingsSerializer(LoanSettings.get()).data)

    def patch(self, request):
        s = LoanSettingsSerializer(LoanSettings.get(), data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        obj = svc.loan_settings_update(by=request.user, **s.validated_data)
        return Response(LoanSettingsSerializer(obj).data)
