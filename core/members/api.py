"""REST API of the member registry. Views validate input, call one service or selector
and shape the output; errors come out as ``{"error": {...}}``."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.common.api import (
    date_range_params,
    query_choice,
    query_date_range,
    query_id,
    request_object,
)
from core.common.fields import RupiahSerializerField
from core.common.idempotency import IdempotentPostMixin
from core.common.permissions import MONEY_WRITERS, STAFF, RolePermission

from . import selectors, services
from .models import Agency, Heir, Member
from .services import MAX_REASON, MAX_TAKE_HOME_PAY
from .validators import ID_TYPED_MAX_LENGTH, id_digits, parse_nik, parse_nip

ANGGOTA = "anggota"


class AgencySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = [
            "id",
            "code",
            "name",
            "treasurer_name",
            "treasurer_phone",
            "treasurer_email",
            "address",
            "is_active",
        ]


class HeirSerializer(serializers.ModelSerializer):
    class Meta:
        model = Heir
        fields = ["id", "full_name", "relationship", "nik", "phone", "share_percent", "is_active"]


class MemberSerializer(serializers.ModelSerializer):
    agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(),
        # DRF's own words are English ("Incorrect type") or technical ("primary key")
        error_messages={
            "does_not_exist": _("Instansi {pk_value} tidak ditemukan."),
            "incorrect_type": _("Instansi harus berupa nomor id instansi (angka)."),
        },
    )
    agency_name = serializers.CharField(
        source="agency.name", read_only=True, default=None, allow_null=True
    )
    heirs = HeirSerializer(many=True, read_only=True)
    # the same person's membership before this one (they left and joined again)
    previous_member = serializers.SerializerMethodField()
    # rupiah as people write it ("7.500.000"), read with the one parser like every
    # other API amount
    take_home_pay = RupiahSerializerField(
        label=_("Gaji bersih"), required=False, allow_null=True, max_value=MAX_TAKE_HOME_PAY
    )
    # why the data changed (PATCH), kept in the member's history; as on the edit screen
    reason = serializers.CharField(
        label=_("Alasan perubahan"),
        max_length=MAX_REASON,
        required=False,
        allow_blank=True,
        write_only=True,
    )

    class Meta:
        model = Member
        fields = [
            "id",
            "number",
            "full_name",
            "nip",
            "nik",
            "gender",
            "birth_date",
            "golongan",
            "position",
            "agency",
            "agency_name",
            "join_date",
            "status",
            "exit_date",
            "address",
            "phone",
            "email",
            "bank_name",
            "bank_account_number",
            "bank_account_holder",
            "take_home_pay",
            "reason",
            "previous_member",
            "heirs",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "gender",
            "birth_date",
            "status",
            "exit_date",
            "created_at",
            "updated_at",
        ]
        # uniqueness and formats are the service's job (specific Indonesian messages)
        extra_kwargs = {
            # typed as printed ("19800101 200501 1 001") or not: the service keeps the
            # digits (the model's 18/16 would refuse the printed form by its length)
            "nip": {"validators": [], "max_length": ID_TYPED_MAX_LENGTH},
            "nik": {"validators": [], "max_length": ID_TYPED_MAX_LENGTH},
            "number": {"validators": [], "required": False, "allow_blank": True},
            "phone": {"validators": []},
        }

    def get_previous_member(self, obj) -> dict | None:
        prev = obj.previous_member
        if prev is None:
            return None
        return {
            "id": prev.pk,
            "number": prev.number,
            "exit_date": prev.exit_date.isoformat() if prev.exit_date else None,
            "status": prev.status,
        }


def _member_qs_for(user):
    qs = Member.objects.select_related("agency", "previous_member").prefetch_related("heirs")
    if user.role == ANGGOTA:
        return qs.filter(user=user)
    return qs


class AgencyListCreate(IdempotentPostMixin, generics.ListCreateAPIView):
    permission_classes = [RolePermission]
    serializer_class = AgencySerializer
    read_roles = STAFF
    write_roles = MONEY_WRITERS

    def get_queryset(self):
        return selectors.agency_list()

    def perform_create(self, serializer):
        serializer.instance = services.agency_create(
            by=self.request.user, **serializer.validated_data
        )


class AgencyDetail(generics.RetrieveUpdateAPIView):
    permission_classes = [RolePermission]
    serializer_class = AgencySerializer
    read_roles = STAFF
    write_roles = MONEY_WRITERS
    queryset = Agency.objects.all()

    def perform_update(self, serializer):
        data = {**AgencySerializer(serializer.instance).data, **serializer.validated_data}
        data.pop("id", None)
        serializer.instance = services.agency_update(
            agency=serializer.instance, by=self.request.user, **data
        )


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("agency", int),
            OpenApiParameter("status", str, enum=Member.Status.values),
            *date_range_params("Tanggal masuk"),
        ]
    )
)
class MemberListCreate(IdempotentPostMixin, generics.ListCreateAPIView):
    """GET: search (``q``), filter (``agency``, ``status``). POST: register a member."""

    permission_classes = [RolePermission]
    serializer_class = MemberSerializer
    read_roles = STAFF
    write_roles = MONEY_WRITERS

    def get_queryset(self):
        p = self.request.query_params
        qs = (
            selectors.member_search(
                q=p.get("q", ""),
                agency_id=query_id(self.request, "agency"),
                status=query_choice(self.request, "status", Member.Status),
            )
            .prefetch_related("heirs")
            .select_related("previous_member")
        )
        low, high = query_date_range(self.request)  # by join date
        if low:
            qs = qs.filter(join_date__gte=low)
        if high:
            qs = qs.filter(join_date__lte=high)
        if self.request.user.role == ANGGOTA:
            qs = qs.filter(user=self.request.user)
        return qs

    def perform_create(self, serializer):
        # a member is registered active: leaving is the exit settlement's
        services.member_exit_fields_check(self.request.data, member=None)
        data = dict(serializer.validated_data)
        data.pop("heirs", None)
        data.pop("reason", None)  # a new member has no history to give a reason for
        serializer.instance = services.member_create(by=self.request.user, **data)


class MemberDetail(generics.RetrieveUpdateAPIView):
    permission_classes = [RolePermission]
    serializer_class = MemberSerializer
    read_roles = STAFF
    write_roles = MONEY_WRITERS

    def get_queryset(self):
        return _member_qs_for(self.request.user)

    def update(self, request, *args, **kwargs):
        member = self.get_object()
        if not member.is_active:  # a closed record: nothing of it changes here
            raise services.member_read_only_error(member)
        # read-only here, not dropped silently under a 200: the exit settlement sets them
        services.member_exit_fields_check(request_object(request), member=member)
        ser = self.get_serializer(member, data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        # writable at registration only: a different value is refused, not dropped
        # silently under a 200 (the same value sent back with the whole object passes)
        fixed = {
            k: [_("Kolom ini ditetapkan saat pendaftaran dan tidak dapat diubah.")]
            for k in ("number", "join_date")
            if k in ser.validated_data and ser.validated_data[k] != getattr(member, k)
        }
        if fixed:
            raise serializers.ValidationError(fixed)
        changes = {k: v for k, v in ser.validated_data.items() if k in services.MEMBER_EDITABLE}
        reason = ser.validated_data.get("reason", "")
        member = services.member_update(member=member, by=request.user, reason=reason, **changes)
        return Response(MemberSerializer(member).data)


class RejoinCheckQuerySerializer(serializers.Serializer):
    """``?nip=&nik=``: a NIP and/or NIK typed in full (what the registration form's live
    check waits for), at least one."""

    nip = serializers.CharField(
        required=False, allow_blank=True, help_text=_("NIP, 18 angka (boleh seperti tercetak)")
    )
    nik = serializers.CharField(
        required=False, allow_blank=True, help_text=_("NIK, 16 angka (boleh seperti tercetak)")
    )

    # as printed ("19800101 200501 1 001", dots, hyphens): its digits, checked
    def validate_nip(self, value: str) -> str:
        value = id_digits(value)
        if value:
            parse_nip(value)
        return value

    def validate_nik(self, value: str) -> str:
        value = id_digits(value)
        if value:
            parse_nik(value)
        return value

    def validate(self, attrs):
        if not (attrs.get("nip") or attrs.get("nik")):
            msg = _("Isi NIP atau NIK.")
            raise serializers.ValidationError({"nip": [msg], "nik": [msg]})
        return attrs


class RejoinHeirSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    relationship = serializers.CharField()
    share_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    label = serializers.CharField(help_text=_("mis. Siti (istri, 50%)"))


class RejoinPreviousSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    full_name = serializers.CharField()
    exit_date = serializers.DateField()
    status = serializers.ChoiceField(choices=Member.Status.choices)
    status_display = serializers.CharField()


class RejoinCheckSerializer(serializers.Serializer):
    rejoin = serializers.BooleanField(
        help_text=_("true: orang ini pernah menjadi anggota dan keluar (mendaftar lagi)")
    )
    previous_member = RejoinPreviousSerializer(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    heirs = RejoinHeirSerializer(
        many=True, help_text=_("ahli waris aktif keanggotaan lama yang disalin")
    )
    login_moves = serializers.BooleanField(
        help_text=_("akun login portal keanggotaan lama dipindahkan ke yang baru")
    )


class MemberRejoinCheck(APIView):
    """Before registering: whether a NIP/NIK belongs to a former member (who they were,
    the heirs the new membership copies, whether the portal login moves) — the
    registration form's live check. A NIP/NIK of a current or deceased member, or a NIP
    and NIK of two different people, is refused with the registration's own error
    (``member_duplicate_nip``, ``member_duplicate_nik``, ``member_deceased``,
    ``member_rejoin_conflict``)."""

    permission_classes = [RolePermission]
    read_roles = MONEY_WRITERS  # as the form's check: those who register members
    write_roles = MONEY_WRITERS

    @extend_schema(
        operation_id="members_rejoin_check",
        parameters=[
            OpenApiParameter("nip", str, description="NIP (18 angka)"),
            OpenApiParameter("nik", str, description="NIK (16 angka)"),
        ],
        responses={200: RejoinCheckSerializer},
    )
    def get(self, request):
        q = RejoinCheckQuerySerializer(data=request.query_params)
        q.is_valid(raise_exception=True)
        nip, nik = q.validated_data.get("nip", ""), q.validated_data.get("nik", "")
        previous = services.member_rejoin_check(nip=nip, nik=nik)
        if previous is None:
            return Response(
                {
                    "rejoin": False,
                    "previous_member": None,
                    "note": "",
                    "heirs": [],
                    "login_moves": False,
                }
            )
        # what member_rejoin_carry will take over: the active heirs, the login
        preview = selectors.rejoin_preview(previous)
        return Response(
            RejoinCheckSerializer(
                {
                    "rejoin": True,
                    "previous_member": {
                        "id": previous.pk,
                        "number": previous.number,
                        "full_name": previous.full_name,
                        "exit_date": previous.exit_date,
                        "status": previous.status,
                        "status_display": previous.get_status_display(),
                    },
                    "note": preview.note,
                    "heirs": [
                        {
                            "id": h.pk,
                            "full_name": h.full_name,
                            "relationship": h.relationship,
                            "share_percent": h.share_percent,
                            "label": label,
                        }
                        for h, label in zip(preview.heirs, preview.heir_labels, strict=True)
                    ],
                    "login_moves": preview.has_login,
                }
            ).data
        )
