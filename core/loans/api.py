"""REST API of core.loans (/api/v1/loans/...): products, loans with their workflow
actions, schedules, repayments, simulation, settings. Views validate input, call one
service or selector and shape the output; services enforce the business roles."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.common.api import (
    SafeJSONParser,
    date_range_params,
    query_choice,
    query_date_range,
    query_id,
    request_object,
)
from core.common.errors import REASON_MAX_LENGTH, ApplicationError
from core.common.fields import RupiahSerializerField
from core.common.idempotency import IdempotentPostMixin
from core.common.money import RupiahError, parse_rupiah
from core.common.permissions import MONEY_WRITERS, STAFF, RolePermission
from core.ledger.services import date_in_range
from core.members.models import Member
from core.users.models import User

from . import services as svc
from .models import (
    Instalment,
    Loan,
    LoanDocument,
    LoanProduct,
    LoanRecovery,
    LoanSettings,
    LoanWriteOff,
    Repayment,
    Reschedule,
    receipts_prime,
)
from .selectors import (
    GradeDate,
    grade_note,
    loan_grade_date,
    loan_repayments,
    loan_schedule_history,
    loans_with_grade_dates,
    repayment_name,
    repayments_name,
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
        raise ValidationError({field: [_("Tanggal harus berformat YYYY-MM-DD.")]})


def _rupiah(value, field: str):
    """A rupiah amount typed by a person (the one parser); ``None`` stays ``None``, and
    sen or a negative amount reach the service, which refuses them with its own code."""
    if value in (None, ""):
        return value
    try:
        # the message says "Jumlah"; the key (English) only places it in ``fields``
        return parse_rupiah(value, whole=False, allow_negative=True)
    except RupiahError as e:
        raise ValidationError({field: [e.text]}) from None


# --- serializers --------------------------------------------------------------------


class LoanProductSerializer(serializers.ModelSerializer):
    min_amount = RupiahSerializerField(min_value=0)
    max_amount = RupiahSerializerField(min_value=0)

    class Meta:
        model = LoanProduct
        fields = ["id", *svc.PRODUCT_FIELDS]


class LoanInstalmentSerializer(serializers.ModelSerializer):
    total = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)
    from_reversed_payment = serializers.SerializerMethodField(
        help_text="Baris lama (riwayat) yang ditulis pembayaran dengan kelebihan ke pokok "
        "yang kemudian dibatalkan: nomor kuitansinya; null untuk baris lain."
    )

    def get_from_reversed_payment(self, row) -> str | None:
        rep = getattr(row, "reversed_payment", None)
        return rep.receipt_number if rep is not None else None

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
            "from_reversed_payment",
        ]


class LoanRepaymentSerializer(serializers.ModelSerializer):
    """A payment. One that issued no receipt of the series (``channel`` ``payroll``,
    ``topup``, ``settlement``) has a null ``receipt_number``: its ``description`` says
    what it was, as the staff pages do (``selectors.repayment_name``)."""

    receipt_number = serializers.CharField(
        source="issued_receipt_number",
        read_only=True,
        allow_null=True,
        help_text=(
            "Nomor kuitansi (seri ANG-…, atau bentuk lama KW-… pembayaran tunai/transfer "
            "sebelum seri itu); null bila pembayaran tidak diberi kuitansi: potong gaji "
            "(channel payroll), pelunasan oleh top-up (topup), penyelesaian keluar anggota "
            "(settlement)."
        ),
    )
    description = serializers.SerializerMethodField(
        help_text=(
            "Apa pembayaran ini, dalam bahasa pengguna (cookie django_language; bawaan "
            "Bahasa Indonesia), seperti di "
            "halaman staf: nomor kuitansinya, atau bila tanpa kuitansi batch potong gaji "
            "(bulan, instansi, ref. jurnal), pinjaman baru yang melunasinya, atau "
            "penyelesaian keluar anggota dengan tanggalnya."
        )
    )
    loan_number = serializers.CharField(source="loan.number", read_only=True)
    entry = serializers.CharField(source="entry_id", read_only=True, allow_null=True)
    reversed_on = serializers.DateField(
        source="reversal.on", read_only=True, allow_null=True, default=None
    )
    reversal_entry = serializers.CharField(
        source="reversal.reversal_entry_id", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Repayment
        fields = [
            "id",
            "receipt_number",
            "description",
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
            "jasa_ahead_credited",
            "entry",
            "reversed_on",
            "reversal_entry",
        ]

    def to_representation(self, instance):
        if not hasattr(instance, "payroll"):  # a list names its page at once
            repayments_name([instance])
        return super().to_representation(instance)

    def get_description(self, obj: Repayment) -> str:
        return repayment_name(obj)


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
    topup_of = serializers.CharField(
        source="topup_of.number", default=None, read_only=True, allow_null=True
    )
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
            "verified_on",
            "approved_at",
            "approved_on",
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
            "deferred_penalty",
            "reschedules",
            "closed_on",
            "closed_by",
            "documents",
        ]
        read_only_fields = fields


class LoanDetailSerializer(LoanSerializer):
    """A loan as ``GET /loans/`` and ``GET /loans/<id>/`` give it: with when its grade was
    set (read in the list's own query, ``loans_with_grade_dates``: no query per loan) and
    a top-up's inherited grade."""

    graded_on = serializers.SerializerMethodField(
        help_text=(
            "the date of the daily arrears run that set kolektibilitas and ppap_amount; "
            "null when no run has graded the loan yet (disbursed after the latest run) "
            "or it is not running"
        )
    )
    paid_since_graded = serializers.SerializerMethodField(
        help_text="a payment not reversed came after that run: the grade waits for the next"
    )
    grade_inherited_from = serializers.SerializerMethodField(
        help_text=(
            "a top-up of a loan in arrears not graded by a run yet: the number of the old "
            "loan whose grade it inherited (null otherwise)"
        )
    )
    grade_inherited_on = serializers.SerializerMethodField(
        help_text="the day it inherited that grade (its disbursement); null otherwise"
    )
    grade_note = serializers.SerializerMethodField(
        help_text=(
            "a running loan: when its grade was set, in the user's language, as the loan "
            "page says it; null when not running"
        )
    )

    class Meta(LoanSerializer.Meta):
        fields = [
            *LoanSerializer.Meta.fields,
            "graded_on",
            "paid_since_graded",
            "grade_inherited_from",
            "grade_inherited_on",
            "grade_note",
        ]
        read_only_fields = fields

    def _grade(self, obj) -> GradeDate | None:
        if not obj.is_running:
            return None
        if not hasattr(obj, "_grade_date"):
            if hasattr(obj, "paid_since_graded"):  # annotated by the view's queryset
                obj._grade_date = GradeDate(obj.graded_on, obj.paid_since_graded)
            else:
                obj._grade_date = loan_grade_date(obj)
        return obj._grade_date

    def get_graded_on(self, obj) -> date | None:
        g = self._grade(obj)
        return g.graded_on if g else None

    def get_paid_since_graded(self, obj) -> bool:
        g = self._grade(obj)
        return bool(g and g.paid_since)

    def _inherited_on(self, obj) -> date | None:
        g = self._grade(obj)
        return obj.grade_inherited_on if g and g.graded_on is None else None

    def get_grade_inherited_from(self, obj) -> str | None:
        return obj.topup_of.number if self._inherited_on(obj) else None

    def get_grade_inherited_on(self, obj) -> date | None:
        return self._inherited_on(obj)

    def get_grade_note(self, obj) -> str | None:
        g = self._grade(obj)
        return grade_note(obj, g) if g else None


class LoanApplySerializer(serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.all(), required=False)
    product = serializers.PrimaryKeyRelatedField(queryset=LoanProduct.objects.all())
    principal = RupiahSerializerField(min_value=1)
    tenor = serializers.IntegerField()
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=300)
    topup_of = serializers.PrimaryKeyRelatedField(
        queryset=Loan.objects.all(), required=False, allow_null=True
    )
    applied_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The day the member applied (a paper form entered later): not in the "
        "future, not before the member joined; default today",
    )
    application_letter = serializers.FileField()
    payslip = serializers.FileField()


class LoanSimulateSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=LoanProduct.objects.all())
    principal = RupiahSerializerField(min_value=1)
    tenor = serializers.IntegerField()


# Bodies of the workflow actions: validated here (a body of null, [] or "x", a list where
# text belongs, a NUL byte) so a service only ever sees plain values. Amounts and rates
# stay text: the services parse them and answer with their own error codes.
class _ActionBody(serializers.Serializer):
    @classmethod
    def parse(cls, request) -> dict:
        s = cls(data=request_object(request))
        s.is_valid(raise_exception=True)
        return s.validated_data


_DATE = {"required": False, "allow_null": True, "allow_blank": True, "max_length": 10}


class LoanNoteSerializer(_ActionBody):
    note = serializers.CharField(
        label=_("Catatan"), required=False, allow_blank=True, max_length=1000, default=""
    )


class LoanDecisionSerializer(LoanNoteSerializer):
    on = serializers.CharField(
        **_DATE, help_text="YYYY-MM-DD; the date of the decision (default today)"
    )


class LoanRejectSerializer(_ActionBody):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class LoanDisburseSerializer(_ActionBody):
    on = serializers.CharField(**_DATE, help_text="YYYY-MM-DD")
    via = serializers.ChoiceField(choices=Loan.Channel.choices, default=Loan.Channel.CASH)
    first_due_date = serializers.CharField(**_DATE, help_text="YYYY-MM-DD")


# Where the money of a repayment or payoff comes from (``source``): received through
# ``channel`` (the service's ``source=""``), or taken from the member's simpanan sukarela.
SOURCE_RECEIVED = "received"
PAYMENT_SOURCES = {SOURCE_RECEIVED: "", svc.SOURCE_SUKARELA: svc.SOURCE_SUKARELA}

_CHANNEL_HELP = (
    "How the money received came: counter (tunai di kantor, default) or bank (transfer "
    'bank). A payment from simpanan sukarela is asked with source "sukarela" (channel '
    'counter); channel "sukarela" itself is refused. The answer gives channel "sukarela" '
    "for such a payment."
)
_SOURCE_HELP = (
    'Where the money comes from: "received" (default), the money received through '
    'channel; "sukarela", taken from the member\'s open simpanan sukarela at the counter '
    "(one journal entry: Dr simpanan sukarela, Cr piutang/jasa/denda, no cash; a transfer "
    "out on the savings account named with the loan number and receipt; an ANG receipt). "
    "Refused, nothing written: 409 loan_sukarela_short when the balance less the "
    "product's minimum does not cover it (the message gives the balance, the minimum, what "
    "may be used and the shortfall) or the member has no open sukarela account; 409 "
    "savings_account_frozen when the account is frozen; 400 loan_invalid with channel bank."
)


class _PaymentBody(_ActionBody):
    channel = serializers.CharField(
        max_length=20, default=Repayment.Channel.COUNTER, help_text=_CHANNEL_HELP
    )
    source = serializers.ChoiceField(
        choices=[
            (SOURCE_RECEIVED, "Uang diterima (tunai/transfer)"),
            (svc.SOURCE_SUKARELA, "Simpanan sukarela"),
        ],
        default=SOURCE_RECEIVED,
        help_text=_SOURCE_HELP,
    )

    def validate_channel(self, value: str) -> str:
        if value == Repayment.Channel.SUKARELA:
            raise ValidationError(
                _(
                    'Pembayaran dari simpanan sukarela diminta dengan source "sukarela" '
                    '(channel "counter"), bukan channel "sukarela".'
                )
            )
        return value

    def validate_source(self, value: str) -> str:
        return PAYMENT_SOURCES[value]  # the service's naming


class LoanRepaySerializer(_PaymentBody):
    amount = serializers.CharField(max_length=30, help_text="Rupiah utuh")
    on = serializers.CharField(**_DATE, help_text="YYYY-MM-DD")
    excess_to = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class LoanPayoffSerializer(_PaymentBody):
    on = serializers.CharField(**_DATE, help_text="YYYY-MM-DD")


class LoanRescheduleRequestSerializer(_ActionBody):
    tenor = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=1200)
    rate = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=30)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
    on = serializers.CharField(**_DATE, help_text="YYYY-MM-DD")
    first_due_date = serializers.CharField(**_DATE, help_text="YYYY-MM-DD")


class LoanWriteOffRequestSerializer(_ActionBody):
    on = serializers.CharField(**_DATE, help_text="YYYY-MM-DD (default today)")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
    decision_ref = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        default="",
        help_text="Nomor keputusan pengurus",
    )


class LoanRecoverRequestSerializer(_ActionBody):
    amount = serializers.CharField(max_length=30, help_text="Rupiah utuh")
    on = serializers.CharField(**_DATE, help_text="YYYY-MM-DD")
    channel = serializers.CharField(max_length=20, default=LoanRecovery.Channel.COUNTER)


class LoanWriteOffSerializer(serializers.ModelSerializer):
    """A write-off as the register says it: the route (code and words), the status as of
    today (``in_force`` / ``reversed``, in words as the register's Status column), the
    amounts; the deferred penalty and the grade before are null where they were not
    recorded (the exit write-offs migration 0028 backfilled: ``snapshot_recorded``
    false), never a 0 that was not known."""

    loan_number = serializers.CharField(source="loan.number", read_only=True)
    route_label = serializers.CharField(source="get_route_display", read_only=True)
    status = serializers.SerializerMethodField()
    status_label = serializers.SerializerMethodField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)
    deferred_penalty = serializers.DecimalField(
        source="deferred_penalty_recorded",
        max_digits=18,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="null: not recorded",
    )
    snapshot_recorded = serializers.BooleanField(read_only=True)
    grade_before = serializers.SerializerMethodField()
    entry_number = serializers.CharField(source="entry.number", read_only=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_status(self, wo: LoanWriteOff) -> str:
        return "reversed" if wo.is_reversed_by(timezone.localdate()) else "in_force"

    @extend_schema_field(OpenApiTypes.STR)
    def get_status_label(self, wo: LoanWriteOff) -> str:
        return wo.status_label(timezone.localdate())

    @extend_schema_field({"type": "string", "nullable": True})
    def get_grade_before(self, wo: LoanWriteOff) -> str | None:
        return wo.loan_before.get("kolektibilitas") if wo.snapshot_recorded else None

    class Meta:
        model = LoanWriteOff
        fields = [
            "id",
            "loan",
            "loan_number",
            "route",
            "route_label",
            "status",
            "status_label",
            "exit_settlement",
            "on",
            "reason",
            "decision_ref",
            "principal",
            "jasa_receivable",
            "deferred_jasa",
            "deferred_penalty",
            "snapshot_recorded",
            "grade_before",
            "ppap_used",
            "expense",
            "amount",
            "entry_number",
            "reversed_on",
        ]
        read_only_fields = fields


class LoanRecoverySerializer(serializers.ModelSerializer):
    loan_number = serializers.CharField(source="loan.number", read_only=True)
    reversed_on = serializers.DateField(
        read_only=True, allow_null=True, help_text="set when the recovery was reversed"
    )

    class Meta:
        model = LoanRecovery
        fields = [
            "id",
            "loan",
            "loan_number",
            "paid_on",
            "channel",
            "amount",
            "receipt_number",
            "reversed_on",
            "reversal_reason",
        ]
        read_only_fields = fields


def _quote_money(**kw) -> serializers.DecimalField:
    """Rupiah as the rest of the API answers money: "1250000.00"."""
    return serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True, **kw)


class LoanPayoffQuoteSerializer(serializers.Serializer):
    penalty = _quote_money()
    jasa = _quote_money()
    principal = _quote_money()
    early_payoff_fee = _quote_money()
    jasa_paid_ahead = _quote_money(
        help_text="jasa paid ahead on instalments not yet due, counted toward the principal"
    )
    total = _quote_money()


class LoanDocumentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LoanDocument.Kind.choices)
    file = serializers.FileField()


class LoanReverseSerializer(_ActionBody):
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, help_text="Alasan pembatalan (wajib)"
    )
    on = serializers.CharField(**_DATE, help_text="YYYY-MM-DD; kosong: hari ini")


class LoanSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = LoanSettings
        fields = [*svc.LOAN_SETTINGS_FIELDS, "last_arrears_run"]
        read_only_fields = ["last_arrears_run"]


# --- views --------------------------------------------------------------------------


class ProductViewSet(
    IdempotentPostMixin,
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
    lookup_value_regex = r"[0-9]+"

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


class SimulateView(IdempotentPostMixin, APIView):
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


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Loan.Status.values),
            OpenApiParameter("member", int),
            *date_range_params("Tanggal pencairan"),
        ]
    )
)
class LoanViewSet(
    IdempotentPostMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Loans. Staff see all, members their own. POST = apply (multipart with the
    application letter and payslip); actions verify / approve / reject / disburse /
    repay / payoff / reschedule; schedule and payoff quote."""

    serializer_class = LoanSerializer
    permission_classes = [RolePermission]
    read_roles = STAFF_AND_MEMBERS
    write_roles = WRITERS_AND_MEMBERS
    parser_classes = [SafeJSONParser, MultiPartParser, FormParser]
    lookup_value_regex = r"[0-9]+"

    queryset = Loan.objects.none()

    def get_serializer_class(self):
        return LoanDetailSerializer if self.action in ("list", "retrieve") else LoanSerializer

    def get_queryset(self) -> QuerySet[Loan]:
        if getattr(self, "swagger_fake_view", False):
            return Loan.objects.none()
        qs = loans_with_grade_dates(
            Loan.objects.select_related("member", "product", "topup_of").prefetch_related(
                "documents", "reschedules"
            )
        )
        if self.action == "list":  # a loan's own actions ignore the list's filters
            low, high = query_date_range(self.request)  # by disbursement date
            if low:
                qs = qs.filter(disbursed_on__gte=low)
            if high:
                qs = qs.filter(disbursed_on__lte=high)
            if status := query_choice(self.request, "status", Loan.Status):
                qs = qs.filter(status=status)
        user = self.request.user
        if user.role == R.ANGGOTA:
            m = _own_member(user)
            return qs.filter(member=m) if m else qs.none()
        if (member_id := query_id(self.request, "member")) is not None:
            qs = qs.filter(member_id=member_id)
        return qs.order_by("-id")

    @extend_schema(
        request={"multipart/form-data": LoanApplySerializer},
        responses={201: LoanSerializer},
    )
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
            on=d.get("applied_on"),
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

    @extend_schema(
        request=None,
        responses=LoanInstalmentSerializer(many=True),
        parameters=[
            OpenApiParameter("history", OpenApiTypes.STR, description="1: earlier versions too")
        ],
    )
    @action(detail=True, methods=["get"], pagination_class=None)  # the whole schedule, a list
    def schedule(self, request, pk=None):
        loan = self._loan(pk)
        rows = list(loan.instalments.filter(is_current=True).order_by("version", "number"))
        if request.query_params.get("history") in ("1", "true"):
            # the history rows as the loan page's Jadwal lama reads them (a reversed
            # payment's rows named by its receipt), then the current ones, by version
            old = loan_schedule_history(loan, repayments=loan_repayments(loan))
            rows = sorted(old + rows, key=lambda r: (r.version, r.number))
        return Response(LoanInstalmentSerializer(rows, many=True).data)

    @extend_schema(
        request=None,
        responses=LoanPayoffQuoteSerializer,
        parameters=[OpenApiParameter("on", OpenApiTypes.DATE, description="default: today")],
    )
    @action(detail=True, methods=["get"], url_path="payoff-quote")
    def payoff_quote(self, request, pk=None):
        loan = self._loan(pk)
        on = date_in_range(_date(request.query_params.get("on"), "on"), field="on")
        on = on or timezone.localdate()
        q = svc.loan_payoff_quote(loan=loan, on=on)
        return Response(LoanPayoffQuoteSerializer(q).data)

    @extend_schema(
        request={"multipart/form-data": LoanDocumentUploadSerializer},
        responses={201: LoanDocumentSerializer},
    )
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

    @extend_schema(request=LoanDecisionSerializer, responses=LoanSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        d = LoanDecisionSerializer.parse(request)
        return self._done(
            svc.loan_verify(
                loan=self._loan(pk), by=request.user, note=d["note"], on=_date(d.get("on"), "on")
            )
        )

    @extend_schema(request=LoanDecisionSerializer, responses=LoanSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The chair's approval; ``on`` is the date approved (default today, not in the
        future, not before the verification); the disbursement may not precede it."""
        d = LoanDecisionSerializer.parse(request)
        return self._done(
            svc.loan_approve(
                loan=self._loan(pk), by=request.user, note=d["note"], on=_date(d.get("on"), "on")
            )
        )

    @extend_schema(request=LoanRejectSerializer, responses=LoanSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        d = LoanRejectSerializer.parse(request)
        return self._done(svc.loan_reject(loan=self._loan(pk), by=request.user, reason=d["reason"]))

    @extend_schema(
        request=LoanDisburseSerializer,
        responses=LoanSerializer,
        examples=[
            OpenApiExample(
                "bank",
                summary="Dicairkan hari ini lewat transfer bank",
                value={"via": "bank"},
                request_only=True,
            ),
            OpenApiExample(
                "cash",
                summary="Dicairkan tunai (tanpa tanggal: hari ini)",
                value={"via": "cash"},
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def disburse(self, request, pk=None):
        d = LoanDisburseSerializer.parse(request)
        loan = self._loan(pk)
        svc.loan_disburse(
            loan=loan,
            by=request.user,
            on=_date(d.get("on"), "on"),
            via=d["via"],
            first_due_date=_date(d.get("first_due_date"), "first_due_date"),
        )
        return self._done(loan)

    @extend_schema(
        request=LoanRepaySerializer,
        responses={201: LoanRepaymentSerializer},
        examples=[
            OpenApiExample(
                "counter",
                summary="Angsuran Rp 500.000 di loket hari ini",
                value={"amount": "500.000", "channel": "counter"},
                request_only=True,
            ),
            OpenApiExample(
                "bank",
                summary="Angsuran Rp 250.000 lewat transfer bank",
                value={"amount": "250000", "channel": "bank"},
                request_only=True,
            ),
        ],
    )
    @action(detail=True, methods=["post"])
    def repay(self, request, pk=None):
        d = LoanRepaySerializer.parse(request)
        rep = svc.loan_repay(
            loan=self._loan(pk),
            amount=_rupiah(d["amount"], "amount"),
            by=request.user,
            on=_date(d.get("on"), "on"),
            channel=d["channel"],
            excess_to=d["excess_to"],
            source=d["source"],
        )
        return Response(LoanRepaymentSerializer(rep).data, status=201)

    @extend_schema(request=LoanPayoffSerializer, responses={201: LoanRepaymentSerializer})
    @action(detail=True, methods=["post"])
    def payoff(self, request, pk=None):
        d = LoanPayoffSerializer.parse(request)
        rep = svc.loan_payoff(
            loan=self._loan(pk),
            by=request.user,
            on=_date(d.get("on"), "on"),
            channel=d["channel"],
            source=d["source"],
        )
        return Response(LoanRepaymentSerializer(rep).data, status=201)

    @extend_schema(request=LoanReverseSerializer, responses=LoanSerializer)
    @action(detail=True, methods=["post"], url_path="reverse-disbursement")
    def reverse_disbursement(self, request, pk=None):
        """Reverse the disbursement of a loan with no repayment (bendahara, admin): its
        entry reversed, wajib pinjam taken back, the loan back to approved."""
        d = LoanReverseSerializer.parse(request)
        loan = svc.loan_disbursement_reverse(
            loan=self._loan(pk), by=request.user, reason=d["reason"], on=_date(d.get("on"), "on")
        )
        return self._done(loan)

    @extend_schema(request=LoanWriteOffRequestSerializer, responses={201: LoanWriteOffSerializer})
    @action(detail=True, methods=["post"], url_path="write-off")
    def write_off(self, request, pk=None):
        """Write off (hapus buku) a running loan graded Macet by the latest arrears run,
        by the board's decision (ketua): the allowance held for it used first, the rest
        to PPAP expense; the loan closed, the member unchanged."""
        d = LoanWriteOffRequestSerializer.parse(request)
        wo = svc.loan_write_off(
            loan=self._loan(pk),
            by=request.user,
            on=_date(d.get("on"), "on"),
            reason=d["reason"],
            decision_ref=d["decision_ref"],
        )
        return Response(LoanWriteOffSerializer(wo).data, status=201)

    @extend_schema(request=LoanReverseSerializer, responses=LoanSerializer)
    @action(detail=True, methods=["post"], url_path="reverse-write-off")
    def reverse_write_off(self, request, pk=None):
        """Reverse a write-off booked in error (ketua; none received on it since, its
        month open): its entry reversed, the loan running again as it was."""
        d = LoanReverseSerializer.parse(request)
        loan = self._loan(pk)
        wo = svc.write_off_in_force(loan)
        if wo is None:
            raise ApplicationError(
                svc.LoanErrors.NOT_WRITTEN_OFF,
                _("Pinjaman %(n)s tidak dihapusbukukan.") % {"n": loan.number},
                status=409,
            )
        svc.loan_write_off_reverse(
            write_off=wo, by=request.user, reason=d["reason"], on=_date(d.get("on"), "on")
        )
        return self._done(loan)

    @extend_schema(request=LoanRecoverRequestSerializer, responses={201: LoanRecoverySerializer})
    @action(detail=True, methods=["post"], url_path="recover")
    def recover(self, request, pk=None):
        """Money received on a loan written off by the board: other income, a receipt of
        the ANG series; the loan stays closed. At most what remains written off."""
        d = LoanRecoverRequestSerializer.parse(request)
        rec = svc.loan_recovery_receive(
            loan=self._loan(pk),
            amount=_rupiah(d["amount"], "amount"),
            by=request.user,
            on=_date(d.get("on"), "on"),
            channel=d["channel"],
        )
        return Response(LoanRecoverySerializer(rec).data, status=201)

    @extend_schema(request=LoanReverseSerializer, responses=LoanRecoverySerializer)
    @action(detail=True, methods=["post"], url_path=r"recoveries/(?P<rid>[0-9]+)/reverse")
    def reverse_recovery(self, request, pk=None, rid=None):
        """Reverse a recovery entered by mistake (bendahara, admin; its month open): its
        entry reversed, the receipt kept and marked reversed, the remaining amount
        written off back up. The loan stays written off."""
        d = LoanReverseSerializer.parse(request)
        loan = self._loan(pk)
        rec = get_object_or_404(LoanRecovery.objects.filter(loan=loan), pk=rid)
        rec = svc.loan_recovery_reverse(
            recovery=rec, by=request.user, reason=d["reason"], on=_date(d.get("on"), "on")
        )
        return Response(LoanRecoverySerializer(rec).data)

    @extend_schema(request=LoanRescheduleRequestSerializer, responses=LoanSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        d = LoanRescheduleRequestSerializer.parse(request)
        loan = self._loan(pk)
        svc.loan_reschedule(
            loan=loan,
            by=request.user,
            tenor=d.get("tenor"),
            rate=d.get("rate") or None,
            reason=d["reason"],
            on=_date(d.get("on"), "on"),
            first_due_date=_date(d.get("first_due_date"), "first_due_date"),
        )
        return self._done(loan)


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("loan", int), *date_range_params("Tanggal hapus buku")]
    )
)
class WriteOffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The write-off register (staff): every write-off, in force or reversed (``status``),
    newest first; ``?loan=<id>`` for one loan's. Written by the loan's actions
    (``write-off``, ``reverse-write-off``)."""

    serializer_class = LoanWriteOffSerializer
    permission_classes = [RolePermission]
    read_roles = STAFF
    queryset = LoanWriteOff.objects.none()
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LoanWriteOff.objects.none()
        qs = LoanWriteOff.objects.select_related("loan", "entry").order_by("-on", "-id")
        if self.action == "list":
            low, high = query_date_range(self.request)  # by write-off date
            if low:
                qs = qs.filter(on__gte=low)
            if high:
                qs = qs.filter(on__lte=high)
        if (loan_id := query_id(self.request, "loan")) is not None:
            qs = qs.filter(loan_id=loan_id)
        return qs


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("loan", int), *date_range_params("Tanggal bayar")]
    )
)
class RepaymentViewSet(
    IdempotentPostMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Repayments (receipts); ``reverse`` cancels a counter/bank repayment or payoff."""

    serializer_class = LoanRepaymentSerializer
    permission_classes = [RolePermission]
    read_roles = STAFF_AND_MEMBERS
    write_roles = MONEY_WRITERS
    parser_classes = [SafeJSONParser]

    queryset = Repayment.objects.none()
    lookup_value_regex = r"[0-9]+"

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is None:
            return None
        page = receipts_prime(page)
        repayments_name(page)  # what each payment without a receipt was: 3 queries
        return page

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Repayment.objects.none()
        qs = Repayment.objects.select_related("loan", "reversal").order_by("-paid_on", "-id")
        if self.action == "list":
            low, high = query_date_range(self.request)  # by payment date
            if low:
                qs = qs.filter(paid_on__gte=low)
            if high:
                qs = qs.filter(paid_on__lte=high)
        user = self.request.user
        if user.role == R.ANGGOTA:
            m = _own_member(user)
            return qs.filter(loan__member=m) if m else qs.none()
        if (loan_id := query_id(self.request, "loan")) is not None:
            qs = qs.filter(loan_id=loan_id)
        return qs

    @extend_schema(request=LoanReverseSerializer, responses=LoanRepaymentSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Reverse the loan's latest repayment (counter/bank, instalment or payoff):
        the entry reversed as the loans module, the schedule and outstanding restored,
        the receipt marked reversed. Payroll repayments: reverse their deduction batch."""
        d = LoanReverseSerializer.parse(request)
        rep = get_object_or_404(self.get_queryset(), pk=pk)
        svc.loan_repayment_reverse(
            repayment=rep, by=request.user, reason=d["reason"], on=_date(d.get("on"), "on")
        )
        rep = Repayment.objects.select_related("loan", "reversal").get(pk=rep.pk)
        return Response(LoanRepaymentSerializer(rep).data)


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
