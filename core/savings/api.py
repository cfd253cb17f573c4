"""REST API of savings: accounts, transactions (teller deposit/withdraw), statements."""

from datetime import date, timedelta
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.common.api import (
    date_range_params,
    query_date,
    query_date_range,
    query_id,
    request_object,
)
from core.common.errors import ApplicationError
from core.common.fields import RupiahSerializerField
from core.common.idempotency import IdempotentPostMixin
from core.common.pagination import ApiPageNumberPagination
from core.common.permissions import MONEY_WRITERS, STAFF, TREASURY, RolePermission
from core.ledger.api import date_query_param
from core.ledger.models import Account
from core.ledger.services import date_in_range
from core.members.models import Member

from . import selectors, services
from .interest_gaps import InterestGap, interest_gaps
from .models import (
    MAX_TERM_MONTHS,
    TERM_TOO_LONG,
    InterestRun,
    SavingsAccount,
    SavingsProduct,
    SavingsTransaction,
)

ANGGOTA = "anggota"


class ProductSerializer(serializers.ModelSerializer):
    account_code = serializers.CharField(source="account.code", read_only=True)

    class Meta:
        model = SavingsProduct
        fields = ["id", "code", "kind", "account_code", *services.PRODUCT_EDITABLE]


class AccountSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    product_kind = serializers.CharField(source="product.kind", read_only=True)
    member_number = serializers.CharField(source="member.number", read_only=True)
    member_name = serializers.CharField(source="member.full_name", read_only=True)
    frozen = serializers.SerializerMethodField()

    def get_frozen(self, obj) -> bool:
        return obj.frozen_at is not None

    class Meta:
        model = SavingsAccount
        fields = [
            "id",
            "number",
            "member",
            "member_number",
            "member_name",
            "product",
            "product_name",
            "product_kind",
            "status",
            "balance",
            "opened_on",
            "closed_on",
            "frozen",
            "frozen_at",
            "frozen_reason",
        ]
        read_only_fields = fields


class TransactionSerializer(serializers.ModelSerializer):
    journal_entry = serializers.StringRelatedField()

    class Meta:
        model = SavingsTransaction
        fields = [
            "id",
            "account",
            "on",
            "kind",
            "channel",
            "amount",
            "delta",
            "balance_after",
            "receipt_number",
            "journal_entry",
            "memo",
            "reverses",
            "created_at",
        ]
        read_only_fields = fields


class TransactionCreateSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["deposit", "withdraw"])
    # sen and non-positive amounts reach the service, which refuses them (savings_bad_amount)
    amount = RupiahSerializerField(whole=False, allow_negative=True)
    channel = serializers.ChoiceField(choices=["cash", "bank"])
    memo = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


def _money(value) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01'))}"


def _scope(qs, user, member_path: str):
    if user.role == ANGGOTA:
        return qs.filter(**{f"{member_path}__user": user})
    return qs


class ProductCreateSerializer(serializers.Serializer):
    """A new product (``services.savings_product_create``); ``account_code`` empty: the
    chart's account for the kind."""

    code = serializers.CharField(max_length=30)
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=SavingsProduct.Kind.choices)
    account_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    amount = RupiahSerializerField(min_value=0, required=False)
    amount_by_grade = serializers.BooleanField(required=False)
    effective_from = serializers.DateField(required=False, allow_null=True)
    minimum_balance = RupiahSerializerField(min_value=0, required=False)
    interest_enabled = serializers.BooleanField(required=False)
    interest_auto = serializers.BooleanField(required=False)
    interest_rate_annual = serializers.DecimalField(max_digits=6, decimal_places=3, required=False)
    interest_basis = serializers.ChoiceField(
        choices=SavingsProduct.InterestBasis.choices, required=False
    )
    tax_threshold = RupiahSerializerField(min_value=0, required=False)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    term_months = serializers.IntegerField(
        min_value=1,
        max_value=MAX_TERM_MONTHS,
        required=False,
        allow_null=True,
        error_messages={"max_value": TERM_TOO_LONG},
    )
    payout_date = serializers.DateField(required=False, allow_null=True)
    early_penalty_type = serializers.ChoiceField(
        choices=SavingsProduct.PenaltyType.choices, required=False
    )
    early_penalty_value = serializers.DecimalField(
        max_digits=18, decimal_places=2, min_value=0, required=False
    )
    is_active = serializers.BooleanField(required=False)


@extend_schema_view(
    post=extend_schema(request=ProductCreateSerializer, responses={201: ProductSerializer})
)
class ProductList(IdempotentPostMixin, generics.ListCreateAPIView):
    """GET: every product. POST: a new product (bendahara, admin)."""

    permission_classes = [RolePermission]
    serializer_class = ProductSerializer
    read_roles = STAFF
    write_roles = TREASURY
    queryset = SavingsProduct.objects.select_related("account").order_by("id")

    def create(self, request, *args, **kwargs):
        ser = ProductCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        code = data.pop("account_code", "")
        account = None
        if code:
            account = Account.objects.filter(code=code).first()
            if account is None:
                raise serializers.ValidationError(
                    {"account_code": [_("Akun %(c)s tidak ada.") % {"c": code}]}
                )
        product = services.savings_product_create(
            code=data.pop("code"), kind=data.pop("kind"), account=account, by=request.user, **data
        )
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


class AccountOpenSerializer(serializers.Serializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects.all())
    product = serializers.PrimaryKeyRelatedField(queryset=SavingsProduct.objects.all())


@extend_schema_view(
    post=extend_schema(
        request=AccountOpenSerializer,
        responses={201: AccountSerializer},
        examples=[
            OpenApiExample(
                "Buka rekening sukarela",
                value={"member": 42, "product": 3},
                request_only=True,
            )
        ],
    )
)
class AccountList(IdempotentPostMixin, generics.ListCreateAPIView):
    """GET: accounts, ``member``, ``product``, ``status`` filters; anggota see only their
    own. POST: open a member's account in a product, dated today, as the teller screen's
    *Buka rekening* (petugas, bendahara, ketua, admin): an active member, an active
    product; a berjangka account takes the product's monthly amount and payout date. An
    account of the member already open in the product: 409
    ``savings_account_already_open`` naming it, nothing opened."""

    permission_classes = [RolePermission]
    serializer_class = AccountSerializer
    read_roles = STAFF
    write_roles = MONEY_WRITERS

    def create(self, request, *args, **kwargs):
        ser = AccountOpenSerializer(data=request_object(request))
        ser.is_valid(raise_exception=True)
        account = services.savings_account_open_unique(
            member=ser.validated_data["member"],
            product=ser.validated_data["product"],
            on=timezone.localdate(),
            by=request.user,
        )
        return Response(AccountSerializer(account).data, status=status.HTTP_201_CREATED)

    def get_queryset(self):
        qs = SavingsAccount.objects.select_related("member", "product").order_by("pk")
        p = self.request.query_params
        for key in ("member", "product"):
            if (pk := query_id(self.request, key)) is not None:
                qs = qs.filter(**{f"{key}_id": pk})
        if p.get("status") in ("open", "closed"):
            qs = qs.filter(status=p["status"])
        return _scope(qs, self.request.user, "member")


class AccountDetailSerializer(AccountSerializer):
    """An account with, for a berjangka account due today, what paying it out in full
    pays (``payout_in_full``: the balance with the month's jasa of the days before, the
    amount to withdraw; null otherwise) and ``payout_note``: why its basis gives no such
    jasa, or why it cannot be paid out in full yet (a finished month not run)."""

    payout_in_full = serializers.SerializerMethodField()
    payout_note = serializers.SerializerMethodField()

    def _figures(self, obj):
        if not hasattr(obj, "_payout_figures"):
            try:
                full = services.berjangka_payout_in_full(account=obj, on=timezone.localdate())
            except ApplicationError as e:
                obj._payout_figures = (None, str(e.message))
            else:
                obj._payout_figures = (full, full.interest_note if full else "")
        return obj._payout_figures

    def get_payout_in_full(self, obj) -> dict | None:
        full, _note = self._figures(obj)
        if full is None:
            return None
        return {
            "balance": _money(full.balance),
            "interest": _money(full.interest),
            "interest_tax": _money(full.interest_tax),
            "interest_net": _money(full.interest_net),
            "interest_label": full.interest_label,
            "total": _money(full.total),
        }

    def get_payout_note(self, obj) -> str:
        return self._figures(obj)[1]

    class Meta(AccountSerializer.Meta):
        fields = [*AccountSerializer.Meta.fields, "payout_in_full", "payout_note"]
        read_only_fields = fields


class AccountDetail(generics.RetrieveAPIView):
    permission_classes = [RolePermission]
    serializer_class = AccountDetailSerializer
    read_roles = STAFF

    def get_queryset(self):
        return _scope(
            SavingsAccount.objects.select_related("member", "product"), self.request.user, "member"
        )


class AccountFreezeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AccountFreeze(IdempotentPostMixin, APIView):
    """POST: freeze (``freeze=True``, reason required) or unfreeze an account (bendahara,
    admin); 200 with the account."""

    permission_classes = [RolePermission]
    read_roles = TREASURY
    write_roles = TREASURY
    freeze = True

    @extend_schema(request=AccountFreezeSerializer, responses={200: AccountSerializer})
    def post(self, request, pk: int):
        account = get_object_or_404(SavingsAccount, pk=pk)
        ser = AccountFreezeSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        fn = services.savings_account_freeze if self.freeze else services.savings_account_unfreeze
        account = fn(account=account, reason=ser.validated_data["reason"], by=request.user)
        return Response(AccountSerializer(account).data)


class EarlyWithdrawalSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=services.early.EARLY_REASON_MAX_LENGTH, allow_blank=True
    )
    channel = serializers.ChoiceField(choices=["cash", "bank"])
    # the net the caller showed the member (optional): refused when it differs now
    expected_net = RupiahSerializerField(whole=False, required=False, allow_null=True)


def _early_figures(preview) -> dict:
    """The figures of an early withdrawal: the balance, the jasa of the month's days
    before today (gross, PPh, net, its line; ``interest_note`` says why there is none
    when the product's basis gives nothing), the balance paid out with it, the penalty
    (on that), the net."""
    return {
        "account": preview.account.pk,
        "payout_date": preview.payout_date.isoformat(),
        "balance": _money(preview.balance),
        "interest": _money(preview.interest),
        "interest_tax": _money(preview.interest_tax),
        "interest_net": _money(preview.interest_net),
        "interest_label": preview.interest_label,
        "interest_note": preview.interest_note,
        "paid_out": _money(preview.paid_out),
        "penalty": _money(preview.penalty),
        "penalty_rule": preview.penalty_rule,
        "net": _money(preview.net),
    }


class EarlyWithdrawal(IdempotentPostMixin, APIView):
    """A berjangka account paid out before its payout date (bendahara, admin). GET: the
    figures (balance, the month's jasa up to yesterday, balance paid out, penalty, net)
    for today, or the refusal. POST: pay out (reason and channel required;
    ``expected_net`` checked when given): 201 with the payout movement (its ``TAR-``
    receipt) and the figures as written; the account is closed."""

    permission_classes = [RolePermission]
    read_roles = TREASURY
    write_roles = TREASURY

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk: int):
        account = get_object_or_404(SavingsAccount, pk=pk)
        preview = services.savings_early_withdrawal_preview(
            account=account, on=timezone.localdate()
        )
        return Response(_early_figures(preview))

    @extend_schema(request=EarlyWithdrawalSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        account = get_object_or_404(SavingsAccount, pk=pk)
        ser = EarlyWithdrawalSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        txn = services.savings_early_withdraw(
            account=account,
            on=timezone.localdate(),
            channel=d["channel"],
            reason=d["reason"],
            by=request.user,
            expected_net=d.get("expected_net"),
        )
        # the figures as written: the payout's net, its penalty, the month's jasa and PPh
        written: dict[str, Decimal] = {}
        for k, amount in SavingsTransaction.objects.filter(
            journal_entry_id=txn.journal_entry_id, account_id=txn.account_id
        ).values_list("kind", "amount"):
            written[k] = written.get(k, Decimal(0)) + amount
        kind = SavingsTransaction.Kind
        penalty = written.get(kind.EARLY_PENALTY, Decimal(0))
        interest = written.get(kind.INTEREST, Decimal(0))
        tax = written.get(kind.TAX, Decimal(0))
        paid_out = txn.amount + penalty
        return Response(
            {
                "account": txn.account_id,
                "balance": _money(paid_out - interest + tax),
                "interest": _money(interest),
                "interest_tax": _money(tax),
                "interest_net": _money(interest - tax),
                "paid_out": _money(paid_out),
                "penalty": _money(penalty),
                "net": _money(txn.amount),
                "transaction": TransactionSerializer(txn).data,
            },
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("account", OpenApiTypes.INT),
            OpenApiParameter("on", OpenApiTypes.DATE, description="Satu hari"),
            *date_range_params("Tanggal transaksi"),
        ]
    ),
    post=extend_schema(
        request=TransactionCreateSerializer,
        responses={201: TransactionSerializer},
        examples=[
            OpenApiExample(
                "deposit",
                summary="Setoran tunai Rp 250.000",
                value={
                    "account": 1,
                    "action": "deposit",
                    "amount": "250.000",
                    "channel": "cash",
                    "memo": "Setoran di loket",
                },
                request_only=True,
            ),
            OpenApiExample(
                "withdraw",
                summary="Penarikan lewat bank Rp 100.000",
                value={"account": 1, "action": "withdraw", "amount": "100000", "channel": "bank"},
                request_only=True,
            ),
        ],
    ),
)
class TransactionListCreate(IdempotentPostMixin, generics.ListCreateAPIView):
    """GET: an account's transactions (``account``) or a day's (``on``). POST: a teller
    deposit or withdrawal; posts a journal entry and returns the receipt number."""

    permission_classes = [RolePermission]
    serializer_class = TransactionSerializer
    read_roles = STAFF
    write_roles = MONEY_WRITERS

    def get_queryset(self):
        qs = SavingsTransaction.objects.select_related("journal_entry").order_by("-on", "-id")
        if (account_id := query_id(self.request, "account")) is not None:
            qs = qs.filter(account_id=account_id)
        if (on := query_date(self.request, "on")) is not None:
            qs = qs.filter(on=on)
        low, high = query_date_range(self.request)
        if low:
            qs = qs.filter(on__gte=low)
        if high:
            qs = qs.filter(on__lte=high)
        return _scope(qs, self.request.user, "account__member")

    def create(self, request, *args, **kwargs):
        ser = TransactionCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        account = get_object_or_404(SavingsAccount, pk=d["account"])
        fn = services.teller_deposit if d["action"] == "deposit" else services.teller_withdraw
        txn = fn(
            account=account,
            amount=d["amount"],
            channel=d["channel"],
            on=timezone.localdate(),
            by=request.user,
            memo=d["memo"],
        )
        return Response(TransactionSerializer(txn).data, status=status.HTTP_201_CREATED)


class TransactionReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=150)
    date = serializers.DateField(required=False, help_text="Default: hari ini")
    close_account = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Tutup rekening bila pembatalan setoran mengosongkannya (di bawah saldo "
        "minimum hanya dengan ini).",
    )


class TransactionReverse(IdempotentPostMixin, APIView):
    """POST: cancel a teller deposit or withdrawal (bendahara, admin): a reversal
    transaction on the account and the journal entry's reversal (201)."""

    permission_classes = [RolePermission]
    read_roles = TREASURY
    write_roles = TREASURY

    @extend_schema(request=TransactionReverseSerializer, responses={201: TransactionSerializer})
    def post(self, request, pk: int):
        original = get_object_or_404(SavingsTransaction, pk=pk)
        ser = TransactionReverseSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        on = date_in_range(ser.validated_data.get("date") or timezone.localdate())
        rev = services.teller_reverse(
            txn=original,
            on=on,
            reason=ser.validated_data["reason"],
            by=request.user,
            close_account=ser.validated_data["close_account"],
        )
        return Response(TransactionSerializer(rev).data, status=status.HTTP_201_CREATED)


class InterestRunSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True)
    journal_entry = serializers.CharField(
        source="journal_entry_id", read_only=True, allow_null=True
    )
    reversal_entry = serializers.CharField(
        source="reversal_entry_id", read_only=True, allow_null=True
    )

    class Meta:
        model = InterestRun
        fields = [
            "id",
            "product",
            "product_name",
            "year",
            "month",
            "gross_interest",
            "tax",
            "accounts",
            "journal_entry",
            "reversed_at",
            "reversal_entry",
            "reversal_reason",
        ]


class InterestRunCreateSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1)
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    month = serializers.IntegerField(min_value=1, max_value=12)


def _ym(ym: tuple[int, int]) -> str:
    return f"{ym[0]}-{ym[1]:02d}"


def interest_gap_json(gap: InterestGap) -> dict:
    return {
        "product": gap.product.pk,
        "product_name": gap.product.name,
        "months": [_ym(ym) for ym in gap.months],
        "latest_run": _ym(gap.latest),
        "closed_months": [_ym(ym) for ym in gap.closed_months],
        "message": gap.message,
    }


_MONTHS = {"type": "array", "items": {"type": "string", "example": "2026-03"}}


class InterestRunPagination(ApiPageNumberPagination):
    """The runs' pages with ``months_not_run`` beside ``results`` (set by the view):
    per product the months never run before its latest run (``interest_gaps``)."""

    def get_paginated_response_schema(self, schema):
        out = super().get_paginated_response_schema(schema)
        out["properties"]["months_not_run"] = {
            "type": "array",
            "description": "Per interest-bearing product, the months (YYYY-MM) with no "
            "live run before its latest live run whose jasa the product pays (an account "
            "open at the month's end, its balance Lumbung's, not the old books'): the "
            "members never got them. Such a month cannot be run now (a month before the "
            "latest run is refused): reverse the later runs, latest first, then run in "
            "order; `closed_months` are in closed books and can no longer be run. Empty "
            "when there is none. The same on every page.",
            "items": {
                "type": "object",
                "properties": {
                    "product": {"type": "integer"},
                    "product_name": {"type": "string"},
                    "months": _MONTHS,
                    "latest_run": {"type": "string", "example": "2026-04"},
                    "closed_months": _MONTHS,
                    "message": {"type": "string"},
                },
                "required": [
                    "product",
                    "product_name",
                    "months",
                    "latest_run",
                    "closed_months",
                    "message",
                ],
            },
        }
        out["required"] = [*out.get("required", []), "months_not_run"]
        return out


class InterestRunList(IdempotentPostMixin, generics.ListAPIView):
    """GET: the monthly interest runs, latest first (bendahara, admin), and beside them
    ``months_not_run``: per product the months never run before its latest run
    (``interest_gaps``; they cannot be run now — reverse the later runs first). POST: run
    a product's jasa simpanan of a finished month (``product``, ``year``, ``month``; as
    the screen's *Hitung jasa*), refused as the screen refuses it (a month already run,
    not finished, closed, before the latest run, or after a month never run —
    ``savings_interest_month_skipped``, naming it)."""

    serializer_class = InterestRunSerializer
    pagination_class = InterestRunPagination
    permission_classes = [RolePermission]
    read_roles = TREASURY
    write_roles = TREASURY
    queryset = InterestRun.objects.select_related("product").order_by("-year", "-month", "-pk")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        response.data["months_not_run"] = [interest_gap_json(g) for g in interest_gaps()]
        return response

    @extend_schema(request=InterestRunCreateSerializer, responses={201: InterestRunSerializer})
    def post(self, request):
        ser = InterestRunCreateSerializer(data=request_object(request))
        ser.is_valid(raise_exception=True)
        product = get_object_or_404(SavingsProduct, pk=ser.validated_data["product"])
        run = services.savings_interest_accrue(
            product=product,
            year=ser.validated_data["year"],
            month=ser.validated_data["month"],
            by=request.user,
        )
        return Response(InterestRunSerializer(run).data, status=status.HTTP_201_CREATED)


class InterestRunReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=150)


class InterestRunReverse(IdempotentPostMixin, APIView):
    """POST: reverse a monthly interest run as a whole (bendahara, admin): every interest
    and tax movement taken back, the entry reversed; the month may be run again."""

    permission_classes = [RolePermission]
    read_roles = TREASURY
    write_roles = TREASURY

    @extend_schema(request=InterestRunReverseSerializer, responses=InterestRunSerializer)
    def post(self, request, pk: int):
        run = get_object_or_404(InterestRun, pk=pk)
        ser = InterestRunReverseSerializer(data=request_object(request))
        ser.is_valid(raise_exception=True)
        run = services.savings_interest_reverse(
            run=run, by=request.user, reason=ser.validated_data["reason"]
        )
        return Response(InterestRunSerializer(run).data)


class Statement(APIView):
    """A member's savings statement (kartu simpanan): ``date_from``, ``date_to``."""

    permission_classes = [RolePermission]
    read_roles = STAFF

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, member_pk: int):
        qs = Member.objects.all()
        if request.user.role == ANGGOTA:
            qs = qs.filter(user=request.user)
        member = get_object_or_404(qs, pk=member_pk)
        today = timezone.localdate()
        date_from = date_query_param(request, "date_from") or date(today.year, 1, 1)
        date_to = date_query_param(request, "date_to") or today
        # typed the wrong way round: the period meant, as the screen, the member portal
        # and the ledger's reports read it
        date_from, date_to = sorted((date_from, date_to))
        data = selectors.savings_statement(member=member, date_from=date_from, date_to=date_to)
        return Response(
            {
                "member": {"id": member.pk, "number": member.number, "full_name": member.full_name},
                "date_from": date_from,
                "date_to": date_to,
                "accounts": [
                    {
                        "account": AccountSerializer(s.account).data,
                        # money as strings, like every serializer field (never floats)
                        "opening": _money(s.opening),
                        "total_in": _money(s.total_in),
                        "total_out": _money(s.total_out),
                        "closing": _money(s.closing),
                        # running_balance: opening + credits - debits up to the row, in
                        # the rows' order (date, then posting sequence)
                        "transactions": [
                            {**row, "running_balance": _money(r.running_balance)}
                            for r, row in zip(
                                s.rows, TransactionSerializer(s.rows, many=True).data, strict=True
                            )
                        ],
                    }
                    for s in data
                ],
            }
        )


class InterestTaxReport(APIView):
    """The month's PPh on savings interest per member (bukti potong list):
    ``?year=YYYY&month=M`` (default last month)."""

    permission_classes = [RolePermission]
    read_roles = TREASURY | {"ketua", "pengawas"}
    write_roles = frozenset()

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        last = timezone.localdate().replace(day=1) - timedelta(days=1)
        try:
            year = int(request.query_params.get("year") or last.year)
            month = int(request.query_params.get("month") or last.month)
            if not (1 <= month <= 12 and 2000 <= year <= 2100):
                raise ValueError
        except ValueError:
            raise ApplicationError(
                services.SavingsErrors.BAD_PERIOD,
                _("Tahun atau bulan tidak valid."),
                fields={"month": [_("1 sampai 12.")], "year": [_("TTTT.")]},
            ) from None
        rows = selectors.interest_tax_report(year=year, month=month)
        return Response(
            {
                "year": year,
                "month": month,
                "members": [
                    {
                        "member_id": r.member_id,
                        "number": r.number,
                        "full_name": r.full_name,
                        "nip": r.nip,
                        "nik": r.nik,
                        "gross_interest": _money(r.gross),
                        "tax": _money(r.tax),
                        "net": _money(r.net),
                    }
                    for r in rows
                ],
                "total_gross_interest": _money(sum((r.gross for r in rows), Decimal(0))),
                "total_tax": _money(sum((r.tax for r in rows), Decimal(0))),
            }
        )
