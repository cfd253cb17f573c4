"""REST API of the general ledger (DRF). Each view validates input, calls one service or
selector and shapes the output. Errors: ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.common.api import MAX_ID, query_date
from core.common.errors import REASON_MAX_LENGTH, ApplicationError
from core.common.fields import RupiahSerializerField
from core.common.idempotency import IdempotentPostMixin
from core.common.pagination import BoundedPageNumberPagination
from core.common.permissions import SETTINGS_ADMINS, STAFF, TREASURY, RolePermission
from core.common.roles import Role
from core.common.schema import ErrorSerializer
from core.ledger.errors import LedgerErrors

from . import reports, services
from .models import Account, FiscalYear, JournalEntry, JournalLine, ManualEntryRequest, Period
from .selectors import member_ids_unknown
from .services import LineSpec, date_in_range


def jsonable(value):
    """Decimals as strings (exact), dates as ISO strings, recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class LedgerView(IdempotentPostMixin, APIView):
    permission_classes = [RolePermission]
    read_roles = STAFF
    write_roles = TREASURY


# who decides a manual entry request, as on its page (``ledger:manual_request``)
MANUAL_DECIDERS = TREASURY | {Role.KETUA}


# --------------------------------------------------------------------------- accounts


class LedgerAccountSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(
        source="parent.code", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Account
        fields = [
            "id",
            "code",
            "name",
            "type",
            "normal_side",
            "parent",
            "parent_code",
            "is_group",
            "is_contra",
            "is_active",
            "is_cash",
            "cash_flow",
            "is_control",
        ]
        read_only_fields = ["normal_side", "is_control"]


class LedgerAccountUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(
        required=False, max_length=Account._meta.get_field("name").max_length
    )
    type = serializers.ChoiceField(choices=Account.Type.choices, required=False)
    is_active = serializers.BooleanField(required=False)
    is_cash = serializers.BooleanField(required=False)
    cash_flow = serializers.ChoiceField(choices=Account.CashFlow.choices, required=False)


class AccountListCreate(IdempotentPostMixin, ListAPIView):
    permission_classes = [RolePermission]
    read_roles = STAFF
    write_roles = TREASURY
    serializer_class = LedgerAccountSerializer
    pagination_class = None

    def get_queryset(self):
        return Account.objects.select_related("parent").order_by("code")

    @extend_schema(request=LedgerAccountSerializer, responses={201: LedgerAccountSerializer})
    def post(self, request):
        ser = LedgerAccountSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        acc = services.account_create(
            code=d["code"],
            name=d["name"],
            type=d["type"],
            parent=d.get("parent"),
            is_group=d.get("is_group", False),
            is_contra=d.get("is_contra", False),
            is_cash=d.get("is_cash", False),
            cash_flow=d.get("cash_flow", Account.CashFlow.OPERATING),
            by=request.user,
        )
        return Response(LedgerAccountSerializer(acc).data, status=status.HTTP_201_CREATED)


class AccountDetail(LedgerView):
    @extend_schema(responses=LedgerAccountSerializer)
    def get(self, request, pk: int):
        return Response(LedgerAccountSerializer(get_object_or_404(Account, pk=pk)).data)

    @extend_schema(request=LedgerAccountUpdateSerializer, responses=LedgerAccountSerializer)
    def patch(self, request, pk: int):
        acc = get_object_or_404(Account, pk=pk)
        ser = LedgerAccountUpdateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        acc = services.account_update(account=acc, by=request.user, **ser.validated_data)
        return Response(LedgerAccountSerializer(acc).data)


# --------------------------------------------------------------------------- journal


class LedgerLineSerializer(serializers.Serializer):
    account = serializers.CharField(help_text="Kode akun")
    debit = RupiahSerializerField(whole=False, required=False, default=0)
    credit = RupiahSerializerField(whole=False, required=False, default=0)
    member_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_ID,
        help_text="Id anggota koperasi ini (buku pembantu per anggota); kosong: tanpa anggota",
    )
    memo = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=JournalLine._meta.get_field("memo").max_length,
    )


class LedgerEntryCreateSerializer(serializers.Serializer):
    date = serializers.DateField()
    # as long as the approval request's column holds (the entry's holds more)
    description = serializers.CharField(
        max_length=ManualEntryRequest._meta.get_field("description").max_length
    )
    lines = LedgerLineSerializer(many=True)

    def validate_lines(self, lines):
        """A member named on a line is a member of this cooperative; an error names the
        line by its index, as DRF names a line's own field errors."""
        unknown = member_ids_unknown(ln["member_id"] for ln in lines)
        if unknown:
            raise serializers.ValidationError(
                {
                    i: {
                        "member_id": [
                            _("Tidak ada anggota dengan id %(id)s di koperasi ini.")
                            % {"id": ln["member_id"]}
                        ]
                    }
                    for i, ln in enumerate(lines)
                    if ln["member_id"] in unknown
                }
            )
        return lines


class LedgerEntryLineSerializer(serializers.Serializer):
    account = serializers.CharField(source="account.code")
    account_name = serializers.CharField(source="account.name")
    debit = serializers.DecimalField(max_digits=18, decimal_places=2)
    credit = serializers.DecimalField(max_digits=18, decimal_places=2)
    member_id = serializers.IntegerField(allow_null=True)
    memo = serializers.CharField()


class LedgerEntrySerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="display_number")
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)
    reversed_by = serializers.SerializerMethodField()
    lines = LedgerEntryLineSerializer(many=True, read_only=True)

    class Meta:
        model = JournalEntry
        fields = [
            "id",
            "number",
            "fiscal_year",
            "date",
            "description",
            "source",
            "source_ref",
            "reverses",
            "reversed_by",
            "status",
            "created_by",
            "created_at",
            "lines",
        ]

    def get_reversed_by(self, obj) -> int | None:
        r = next(iter(obj.reversals.all()), None)
        return r.pk if r else None


class LedgerManualRequestSerializer(serializers.ModelSerializer):
    """A manual entry request. ``approvable``: waiting and not dated in the books closed
    already (``services.manual_request_books_closed``); one that is not can only be
    rejected: ``approve_refusal`` says why and ``books_closed_until`` up to when."""

    approvable = serializers.SerializerMethodField()
    books_closed_until = serializers.SerializerMethodField()
    approve_refusal = serializers.SerializerMethodField()

    class Meta:
        model = ManualEntryRequest
        fields = [
            "id",
            "date",
            "description",
            "lines",
            "status",
            "requested_at",
            "entry",
            "approvable",
            "books_closed_until",
            "approve_refusal",
        ]

    def _refusal(self, obj: ManualEntryRequest) -> ApplicationError | None:
        # the list passes each one's refusal (the books' closed date read once for all)
        refusals = self.context.get("refusals")
        if refusals is not None:
            return refusals.get(obj.pk)
        if obj.status != ManualEntryRequest.Status.PENDING:
            return None
        return services.manual_request_books_closed(obj)

    def get_approvable(self, obj) -> bool:
        return obj.status == ManualEntryRequest.Status.PENDING and self._refusal(obj) is None

    def get_books_closed_until(self, obj) -> date | None:
        refusal = self._refusal(obj)
        return date.fromisoformat(refusal.fields["books_closed_until"]) if refusal else None

    def get_approve_refusal(self, obj) -> str | None:
        refusal = self._refusal(obj)
        return str(refusal.message) if refusal else None


class ManualRequestList(ListAPIView):
    """The manual entry requests waiting for approval, oldest first: the API's form of
    Jurnal umum's "Menunggu persetujuan" list."""

    permission_classes = [RolePermission]
    read_roles = STAFF
    serializer_class = LedgerManualRequestSerializer
    pagination_class = None

    def get_queryset(self):
        return ManualEntryRequest.objects.filter(status=ManualEntryRequest.Status.PENDING).order_by(
            "date", "pk"
        )

    @extend_schema(
        description="Permintaan jurnal manual yang menunggu persetujuan. `approvable` false: "
        "bertanggal dalam buku yang sudah ditutup (sampai `books_closed_until`), hanya dapat "
        "ditolak; `approve_refusal` menyebut alasannya."
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        reqs = list(self.get_queryset())
        closed = services.books_closed_until() if reqs else None
        refusals = {
            r.pk: services.manual_request_books_closed(r, closed_until=closed) for r in reqs
        }
        context = {**self.get_serializer_context(), "refusals": refusals}
        return Response(self.get_serializer(reqs, many=True, context=context).data)


class ManualRequestDetail(LedgerView):
    """One manual entry request, whatever its status (the list holds the waiting ones)."""

    @extend_schema(responses=LedgerManualRequestSerializer)
    def get(self, request, pk: int):
        req = get_object_or_404(ManualEntryRequest, pk=pk)
        return Response(LedgerManualRequestSerializer(req).data)


class LedgerManualApprovedSerializer(serializers.Serializer):
    entry = LedgerEntrySerializer(help_text="Jurnal yang diposting")
    request = LedgerManualRequestSerializer(help_text="Permintaan, sudah disetujui")


class ManualRequestApprove(LedgerView):
    write_roles = MANUAL_DECIDERS

    @extend_schema(
        request=None,
        responses={201: LedgerManualApprovedSerializer},
        description="Setujui permintaan jurnal manual: jurnalnya diposting (201, dengan "
        "permintaannya). Oleh pengguna yang membuat permintaan: 403 `permission_denied`; "
        "sudah diputuskan: 400 `manual_request_state`; bertanggal dalam buku yang sudah "
        "ditutup: 409 `manual_request_books_closed` (`fields.books_closed_until`), hanya "
        "dapat ditolak. Tidak ada yang diubah bila ditolak.",
    )
    def post(self, request, pk: int):
        req = get_object_or_404(ManualEntryRequest, pk=pk)
        entry = services.manual_entry_approve(request=req, by=request.user)
        req.refresh_from_db()
        return Response(
            {
                "entry": LedgerEntrySerializer(entry).data,
                "request": LedgerManualRequestSerializer(req).data,
            },
            status=status.HTTP_201_CREATED,
        )


class LedgerManualRejectSerializer(serializers.Serializer):
    # blank passes here: the service refuses it (400 ``reason_required``), as on the page
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=REASON_MAX_LENGTH,
        help_text="Alasan penolakan (wajib)",
    )


class ManualRequestReject(LedgerView):
    write_roles = MANUAL_DECIDERS

    @extend_schema(
        request=LedgerManualRejectSerializer,
        responses={200: LedgerManualRequestSerializer},
        description="Tolak permintaan jurnal manual dengan alasan (tanpa alasan: 400 "
        "`reason_required`; sudah diputuskan: 400 `manual_request_state`). Permintaan "
        "bertanggal dalam buku yang sudah ditutup juga dapat ditolak.",
    )
    def post(self, request, pk: int):
        req = get_object_or_404(ManualEntryRequest, pk=pk)
        ser = LedgerManualRejectSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        req = services.manual_entry_reject(
            request=req, reason=ser.validated_data["reason"], by=request.user
        )
        return Response(LedgerManualRequestSerializer(req).data)


class EntryListCreate(IdempotentPostMixin, ListAPIView):
    permission_classes = [RolePermission]
    read_roles = STAFF
    write_roles = TREASURY
    serializer_class = LedgerEntrySerializer
    pagination_class = BoundedPageNumberPagination  # no COUNT(*) of a million-line journal

    @extend_schema(
        parameters=[
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
            OpenApiParameter("source", OpenApiTypes.STR),
            OpenApiParameter("account", OpenApiTypes.STR, description="Kode akun"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = JournalEntry.objects.select_related("created_by").prefetch_related(
            "lines__account", "reversals"
        )
        p = self.request.query_params
        low = date_query_param(self.request, "date_from")
        high = date_query_param(self.request, "date_to")
        if low and high and high < low:  # the period meant, as the reports read it
            low, high = high, low
        if low:
            qs = qs.filter(date__gte=low)
        if high:
            qs = qs.filter(date__lte=high)
        if p.get("source"):
            qs = qs.filter(source=p["source"])
        if p.get("account"):
            qs = qs.filter(lines__account__code=p["account"]).distinct()
        return qs.order_by("-date", "-fiscal_year", "-number")

    @extend_schema(
        request=LedgerEntryCreateSerializer,
        responses={201: LedgerEntrySerializer, 202: LedgerManualRequestSerializer},
        description="Jurnal manual. Jika koperasi mewajibkan persetujuan, hasilnya "
        "permintaan (202) yang menunggu persetujuan.",
    )
    def post(self, request):
        ser = LedgerEntryCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        d = ser.validated_data
        lines = [
            LineSpec(
                account=ln["account"],
                debit=ln["debit"],
                credit=ln["credit"],
                member_id=ln["member_id"],
                memo=ln["memo"],
            )
            for ln in d["lines"]
        ]
        out = services.manual_entry_submit(
            on=date_in_range(d["date"]), description=d["description"], lines=lines, by=request.user
        )
        if isinstance(out, ManualEntryRequest):
            return Response(
                LedgerManualRequestSerializer(out).data, status=status.HTTP_202_ACCEPTED
            )
        return Response(LedgerEntrySerializer(out).data, status=status.HTTP_201_CREATED)


class EntryDetail(LedgerView):
    @extend_schema(responses=LedgerEntrySerializer)
    def get(self, request, pk: int):
        return Response(LedgerEntrySerializer(get_object_or_404(JournalEntry, pk=pk)).data)


class LedgerReverseSerializer(serializers.Serializer):
    date = serializers.DateField()
    reason = serializers.CharField()


class EntryReverse(LedgerView):
    @extend_schema(request=LedgerReverseSerializer, responses={201: LedgerEntrySerializer})
    def post(self, request, pk: int):
        entry = get_object_or_404(JournalEntry, pk=pk)
        ser = LedgerReverseSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        rev = services.journal_reverse(
            entry=entry,
            on=date_in_range(ser.validated_data["date"]),
            reason=ser.validated_data["reason"],
            by=request.user,
        )
        return Response(LedgerEntrySerializer(rev).data, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- periods


class LedgerPeriodSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="fiscal_year.year")

    class Meta:
        model = Period
        fields = ["id", "year", "month", "start_date", "end_date", "status", "closed_at"]


class PeriodList(ListAPIView):
    permission_classes = [RolePermission]
    read_roles = STAFF
    serializer_class = LedgerPeriodSerializer
    pagination_class = None

    def get_queryset(self):
        return Period.objects.select_related("fiscal_year").order_by("start_date")


class PeriodClose(LedgerView):
    @extend_schema(
        request=None,
        responses=LedgerPeriodSerializer,
        description="Tutup satu bulan: tidak ada lagi posting bertanggal di dalamnya. Bulan "
        "yang belum berakhir (hari terakhirnya sesudah hari ini) ditolak 400 "
        "`period_not_ended`, dengan hari pertama bulan itu dapat ditutup di "
        "`fields.closable_from` (ISO); bulan yang sudah ditutup: 400 `period_state`. "
        "Selama permintaan jurnal manual bertanggal sampai akhir bulan itu masih menunggu "
        "persetujuan: 409 `period_manual_entry_pending`, permintaannya (nomor dan tanggal) "
        "di `fields.requests`; setujui atau tolak dulu, tidak ada yang diubah.",
    )
    def post(self, request, pk: int):
        p = services.period_close(period=get_object_or_404(Period, pk=pk), by=request.user)
        return Response(LedgerPeriodSerializer(p).data)


class LedgerReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class PeriodReopen(LedgerView):
    write_roles = SETTINGS_ADMINS

    @extend_schema(
        request=LedgerReasonSerializer,
        responses={
            200: LedgerPeriodSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`year_closed_by_year_end`: the month's year was closed through "
                "the year end (whatever its SHU); it is reopened there, "
                "`POST /api/v1/yearend/<year>/reopen/` (`fields.reopen_page`: its page).",
            ),
        },
    )
    def post(self, request, pk: int):
        ser = LedgerReasonSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        p = services.period_reopen(
            period=get_object_or_404(Period, pk=pk),
            reason=ser.validated_data["reason"],
            by=request.user,
        )
        return Response(LedgerPeriodSerializer(p).data)


class FiscalYearClose(LedgerView):
    @extend_schema(
        request=None,
        responses={
            409: OpenApiResponse(
                ErrorSerializer,
                description="`year_close_elsewhere`, always: a year closes only through the "
                "year end, `POST /api/v1/yearend/<year>/close/` (`fields.year_end_page`: "
                "its page).",
            )
        },
    )
    def post(self, request, year: int):
        """Always refused (409 ``year_close_elsewhere``): a year closes only through the
        year end (checklist, income tax, SHU belum dibagi, its YearEnd row). The message
        names the year end's endpoint; ``fields.year_end_page`` its page."""
        fy = get_object_or_404(FiscalYear, year=year)
        api, page = settings.LEDGER_YEAR_CLOSE_API, settings.LEDGER_YEAR_CLOSE_URL
        raise ApplicationError(
            LedgerErrors.YEAR_CLOSE_ELSEWHERE,
            _("Tahun buku ditutup lewat tutup buku akhir tahun: POST %(u)s.")
            % {"u": api.format(year=fy.year)}
            if api
            else _("Tahun buku ditutup lewat menu Tutup Buku (daftar periksa, pajak, SHU)."),
            fields={"year_end_page": page.format(year=fy.year)} if page else {},
            status=409,
        )


# --------------------------------------------------------------------------- reports


def date_query_param(request, name: str) -> date | None:
    """The query parameter ``name`` as a date in the books' range, None when not given;
    refused (400) naming ``name`` when it is not a date (the savings API reads its
    periods with it too)."""
    return date_in_range(query_date(request, name), field=name)


RANGE_PARAMS = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="Awal periode (default 1 Jan)"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Akhir periode (default hari ini)"),
]
REPORT_RESPONSE = {200: OpenApiTypes.OBJECT}
ONE_DAY = timedelta(days=1)


class ReportView(LedgerView):
    http_method_names = ["get", "head", "options"]

    def range(self, request) -> reports.Range:
        return reports.default_range(
            date_query_param(request, "date_from"), date_query_param(request, "date_to")
        )


class TrialBalanceReport(ReportView):
    @extend_schema(
        parameters=RANGE_PARAMS,
        responses=REPORT_RESPONSE,
        description="Neraca saldo per tanggal akhir, dibandingkan dengan akhir periode sebelumnya (sehari sebelum tanggal awal).",
    )
    def get(self, request):
        r = self.range(request)
        return Response(
            jsonable(reports.trial_balance(as_of=r.date_to, compare_as_of=r.date_from - ONE_DAY))
        )


class BalanceSheetReport(ReportView):
    @extend_schema(
        parameters=RANGE_PARAMS,
        responses=REPORT_RESPONSE,
        description="Neraca per tanggal akhir (aset menurut likuiditas), dibandingkan dengan sehari sebelum tanggal awal.",
    )
    def get(self, request):
        r = self.range(request)
        return Response(
            jsonable(reports.balance_sheet(as_of=r.date_to, compare_as_of=r.date_from - ONE_DAY))
        )


class IncomeStatementReport(ReportView):
    @extend_schema(
        parameters=RANGE_PARAMS,
        responses=REPORT_RESPONSE,
        description="Laporan perhitungan hasil usaha, dibandingkan dengan periode sebelumnya.",
    )
    def get(self, request):
        r = self.range(request)
        return Response(
            jsonable(reports.income_statement(date_from=r.date_from, date_to=r.date_to))
        )


class EquityChangesReport(ReportView):
    @extend_schema(
        parameters=RANGE_PARAMS, responses=REPORT_RESPONSE, description="Laporan perubahan ekuitas."
    )
    def get(self, request):
        r = self.range(request)
        return Response(jsonable(reports.equity_changes(date_from=r.date_from, date_to=r.date_to)))


class CashFlowReport(ReportView):
    @extend_schema(
        parameters=RANGE_PARAMS,
        responses=REPORT_RESPONSE,
        description="Laporan arus kas metode langsung, dibandingkan dengan periode sebelumnya.",
    )
    def get(self, request):
        r = self.range(request)
        return Response(jsonable(reports.cash_flow(date_from=r.date_from, date_to=r.date_to)))


class GeneralLedgerReport(ReportView):
    @extend_schema(
        parameters=[*RANGE_PARAMS, OpenApiParameter("page", OpenApiTypes.INT)],
        responses=REPORT_RESPONSE,
        description="Buku besar satu akun dengan saldo berjalan (100 baris per halaman).",
    )
    def get(self, request, pk: int):
        acc = get_object_or_404(Account, pk=pk)
        r = self.range(request)
        try:
            page = int(request.query_params.get("page") or 1)
        except ValueError:
            page = 1
        return Response(
            jsonable(
                reports.general_ledger(
                    account=acc, date_from=r.date_from, date_to=r.date_to, page=page
                )
            )
        )
