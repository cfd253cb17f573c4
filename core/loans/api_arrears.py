"""REST API of the arrears/PPAP runs (/api/v1/loans/arrears-runs/): the runs (the daily
job's and those made by a person) with who made them, the allowance before and after and
the entries posted; a run's per-loan grade snapshot; and a run made as of today or as of
a past open month's last day by the service of the screen *Pinjaman › Laporan › Proses
tunggakan dan PPAP* (``arrears_asof.loans_arrears_run``: same roles, same refusals)."""

from __future__ import annotations

from datetime import date, timedelta
from enum import Enum

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse

from core.audit.models import AuditEvent
from core.common.api import SafeJSONParser, request_object
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.common.idempotency import IdempotentPostMixin
from core.common.permissions import STAFF, RolePermission
from core.ledger.api import date_query_param
from core.ledger.models import JournalEntry
from core.ledger.services import date_in_range

from .arrears_asof import ARREARS_RUN_ROLES, loans_arrears_run
from .audit import LoanAudit
from .models import ArrearsRun, LoanGradeSnapshot
from .schedules import Kolektibilitas
from .services.common import LoanErrors

# --- reading a page of runs ---------------------------------------------------------------


def _back_ref(run: ArrearsRun) -> str:
    return f"ppap:{run.pk}:back"


def runs_prime(runs: list[ArrearsRun]) -> list[ArrearsRun]:
    """Set on each run who made it (its audit row: the person, or the daily job's
    label) and the entry an as-of run posted today to turn its allowance back: two
    queries for the page. (Its kind is the run's own column.)"""
    if not runs:
        return runs
    events = AuditEvent.objects.filter(
        action=LoanAudit.ARREARS_RUN,
        target_type=ArrearsRun._meta.label_lower,
        target_id__in=[str(r.pk) for r in runs],
    ).order_by("pk")
    made_by: dict[str, tuple[int | None, str]] = {}
    for e in events.only("target_id", "actor_id", "actor_label"):
        made_by.setdefault(e.target_id, (e.actor_id, e.actor_label))
    backs = {
        e.source_ref: e
        for e in JournalEntry.objects.filter(
            source=JournalEntry.Source.LOAN, source_ref__in=[_back_ref(r) for r in runs]
        )
    }
    for r in runs:
        r.made_by_id, r.made_by = made_by.get(str(r.pk), (None, ""))
        r.reversing_entry = backs.get(_back_ref(r))
    return runs


def run_grades_refusal(run: ArrearsRun) -> str | None:
    """Why ``run`` holds no per-loan grades, or None when the snapshot of its date is
    its own: a run keeps them as of a month's last day only, and a later run as of the
    same day replaces them."""
    if (run.on + timedelta(days=1)).day != 1:
        return _(
            "Proses tunggakan per %(d)s tidak menyimpan kolektibilitas per pinjaman: "
            "hanya proses per akhir bulan yang menyimpannya."
        ) % {"d": format_tanggal(run.on)}
    latest = ArrearsRun.objects.filter(on=run.on).order_by("-pk").values_list("pk", flat=True)
    later = latest.first()
    if later != run.pk:
        return _(
            "Kolektibilitas per pinjaman per %(d)s sudah digantikan oleh proses tunggakan "
            "No. %(n)s per tanggal yang sama; lihat proses itu."
        ) % {"d": format_tanggal(run.on), "n": later}
    return None


# --- serializers --------------------------------------------------------------------------


class ArrearsRunEntrySerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="display_number", read_only=True)

    class Meta:
        model = JournalEntry
        fields = ["id", "number", "date", "description"]


class ArrearsRunSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(
        choices=ArrearsRun.Kind.choices,
        read_only=True,
        help_text=(
            "daily: as of the day it was made (the daily job, or the screen when the job "
            "did not run); as_of: as of a past month's last day, made later (a year-end "
            "run is an as_of run dated 31 December)"
        ),
    )
    made_at = serializers.DateTimeField(source="created_at", read_only=True)
    made_by = serializers.CharField(
        read_only=True,
        help_text="Who made it: the user's login, or 'system' for the daily job",
    )
    made_by_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The user's id; null for the daily job"
    )
    ppap_change = serializers.SerializerMethodField(
        help_text="ppap_after - ppap_before: what the run added to (or released from) the "
        "allowance as of its date"
    )
    entry = ArrearsRunEntrySerializer(
        read_only=True, allow_null=True, help_text="The allowance's change, dated the run's date"
    )
    reversing_entry = ArrearsRunEntrySerializer(
        read_only=True,
        allow_null=True,
        help_text="An as-of run's opposite entry, dated the day it was made (the loans' "
        "own PPAP stays today's)",
    )

    class Meta:
        model = ArrearsRun
        fields = [
            "id",
            "on",
            "kind",
            "made_at",
            "made_by",
            "made_by_id",
            "loans",
            "ppap_before",
            "ppap_after",
            "ppap_change",
            "entry",
            "reversing_entry",
            "seconds",
        ]
        read_only_fields = fields

    def get_ppap_change(self, obj) -> str:
        return str(obj.ppap_after - obj.ppap_before)


class ArrearsRunDetailSerializer(ArrearsRunSerializer):
    grades = serializers.SerializerMethodField(
        help_text="The per-loan grade snapshot of the run's date (a page), or null when "
        "the run keeps none (grades_note says why)"
    )
    grades_note = serializers.SerializerMethodField()

    class Meta(ArrearsRunSerializer.Meta):
        fields = [*ArrearsRunSerializer.Meta.fields, "grades", "grades_note"]
        read_only_fields = fields

    def get_grades(self, obj) -> str | None:
        if run_grades_refusal(obj) is not None:
            return None
        return reverse(
            "loan-arrears-run-grades", args=[obj.pk], request=self.context.get("request")
        )

    def get_grades_note(self, obj) -> str | None:
        return run_grades_refusal(obj)


class LoanGradeSnapshotSerializer(serializers.ModelSerializer):
    loan_number = serializers.CharField(source="loan.number", read_only=True)
    member = serializers.IntegerField(source="loan.member_id", read_only=True)
    member_number = serializers.CharField(source="loan.member.number", read_only=True)
    member_name = serializers.CharField(source="loan.member.full_name", read_only=True)

    class Meta:
        model = LoanGradeSnapshot
        fields = [
            "loan",
            "loan_number",
            "member",
            "member_number",
            "member_name",
            "kolektibilitas",
            "days_past_due",
            "principal_outstanding",
            "deferred_jasa",
            "ppap_amount",
            "restructured",
        ]
        read_only_fields = fields


class ArrearsRunCreateSerializer(serializers.Serializer):
    on = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=10,
        help_text="YYYY-MM-DD: today (the default), or the last day of a past month whose "
        "month is still open",
    )


def choice_query_param(request, name: str, choices: type[Enum]) -> str | None:
    """The query parameter ``name`` as one of ``choices`` (an enum of values), None
    when not given; anything else a 400 naming ``name`` and the values it takes."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    values = [str(c.value) for c in choices]
    if raw not in values:
        raise ValidationError(
            {name: [_("Nilai tidak dikenal; pilih salah satu: %s.") % ", ".join(values)]}
        )
    return raw


def _date(value) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({"on": [_("Tanggal harus berformat YYYY-MM-DD.")]}) from None


# --- views --------------------------------------------------------------------------------


class ArrearsRunViewSet(
    IdempotentPostMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Arrears/PPAP runs, latest date first: every staff role reads; bendahara and admin
    make one (POST) as of today or as of a past month's last day whose month is open,
    as on the screen *Proses tunggakan dan PPAP*."""

    serializer_class = ArrearsRunSerializer
    permission_classes = [RolePermission]
    read_roles = STAFF
    write_roles = ARREARS_RUN_ROLES
    parser_classes = [SafeJSONParser]
    queryset = ArrearsRun.objects.none()
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[ArrearsRun]:
        qs = ArrearsRun.objects.select_related("entry").order_by("-on", "-pk")
        if self.action != "list":
            return qs
        date_from = date_query_param(self.request, "date_from")
        date_to = date_query_param(self.request, "date_to")
        if date_from is not None:
            qs = qs.filter(on__gte=date_from)
        if date_to is not None:
            qs = qs.filter(on__lte=date_to)
        kind = choice_query_param(self.request, "kind", ArrearsRun.Kind)
        if kind is not None:
            qs = qs.filter(kind=kind)
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "date_from", OpenApiTypes.DATE, description="Runs dated on or after this day"
            ),
            OpenApiParameter(
                "date_to", OpenApiTypes.DATE, description="Runs dated on or before this day"
            ),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=ArrearsRun.Kind.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return runs_prime(list(page)) if page is not None else None

    def _detail(self, run: ArrearsRun, status: int = 200) -> Response:
        run = ArrearsRun.objects.select_related("entry").get(pk=run.pk)
        runs_prime([run])
        data = ArrearsRunDetailSerializer(run, context=self.get_serializer_context()).data
        return Response(data, status=status)

    @extend_schema(responses=ArrearsRunDetailSerializer)
    def retrieve(self, request, pk=None):
        return self._detail(self.get_object())

    @extend_schema(
        request=ArrearsRunCreateSerializer,
        responses={201: ArrearsRunDetailSerializer},
        examples=[
            OpenApiExample(
                "today",
                summary="Hari ini (bila proses harian tidak berjalan)",
                value={},
                request_only=True,
            ),
        ],
    )
    def create(self, request):
        """Make a run: as of today (the daily run), or as of a past month's last day
        whose month is open (31 December made in January), graded as the loans stood
        that day, the allowance posted on it and turned back today. Refused, nothing
        written: a day after today or not a month's last day, a closed month, loans that
        cannot be read back as of that day (``fields.loans`` names them)."""
        s = ArrearsRunCreateSerializer(data=request_object(request))
        s.is_valid(raise_exception=True)
        on = date_in_range(_date(s.validated_data.get("on")), field="on")
        result = loans_arrears_run(on=on or timezone.localdate(), by=request.user)
        return self._detail(result.run, status=201)

    @extend_schema(
        request=None,
        responses=LoanGradeSnapshotSerializer(many=True),
        parameters=[
            OpenApiParameter(
                "grade",
                OpenApiTypes.STR,
                enum=[k.value for k in Kolektibilitas],
                description="Only the loans of this kolektibilitas",
            )
        ],
    )
    @action(detail=True, methods=["get"])
    def grades(self, request, pk=None):
        """The run's per-loan grades (kolektibilitas, days past due, outstanding, PPAP)
        as of its date, a page by loan number: what the RAT pack reads. Refused (409)
        for a run that keeps none: a run as of a day that is not a month's last day, or
        one replaced by a later run as of the same day. ``?grade=macet``: that grade's
        loans only."""
        run = self.get_object()
        refusal = run_grades_refusal(run)
        if refusal is not None:
            raise ApplicationError(LoanErrors.ARREARS_RUN_GRADES_UNAVAILABLE, refusal, status=409)
        qs = (
            LoanGradeSnapshot.objects.filter(on=run.on)
            .select_related("loan__member")
            .order_by("loan__number", "pk")
        )
        grade = choice_query_param(request, "grade", Kolektibilitas)
        if grade is not None:
            qs = qs.filter(kolektibilitas=grade)
        page = self.paginator.paginate_queryset(qs, request, view=self)
        return self.get_paginated_response(LoanGradeSnapshotSerializer(page, many=True).data)
