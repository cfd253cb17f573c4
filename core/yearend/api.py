"""REST API of the year end (/api/v1/yearend/…): settings, checklist, close, reopen,
preview, posting, payout and the per-member results. Errors: one JSON shape."""

from __future__ import annotations

from dataclasses import asdict

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.common.api import SafeJSONParser, query_id, request_object
from core.common.errors import REASON_MAX_LENGTH, ApplicationError
from core.common.fields import RupiahSerializerField
from core.common.idempotency import IdempotentPostMixin
from core.common.permissions import SETTINGS_ADMINS, STAFF, TREASURY, R, RolePermission
from core.common.schema import ErrorSerializer

from . import selectors, services
from .errors import YearEndErrors
from .models import MemberShare, RatReport, ShuPayout, ShuSettings, YearEnd
from .old_books import (
    old_books_preview,
    old_books_upload_read,
    shu_old_books_bring_in,
    shu_old_books_undo,
    shu_unassigned,
)
from .rat import rat_pack_pdf, rat_pack_xlsx, rat_report_for, rounding_to_cadangan
from .reversal import shu_payout_reverse


class YearEndView(IdempotentPostMixin, APIView):
    permission_classes = [RolePermission]
    read_roles = STAFF
    write_roles = TREASURY

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if "year" in kwargs:
            selectors.year_check(kwargs["year"])


class ShuSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = ShuSettings
        fields = ["effective_year", *services.SETTINGS_FIELDS]
        read_only_fields = ["effective_year"]


class YearEndSerializer(serializers.ModelSerializer):
    class Meta:
        model = YearEnd
        fields = [
            "year",
            "status",
            "shu_before_tax",
            "turnover",
            "income_tax",
            "shu_after_tax",
            "settings_snapshot",
            "closed_at",
            "reopen_reason",
            "rat_date",
            "rat_decision",
            "funds",
            "posted_at",
            "old_books",
        ]


class KnownFieldsInput(serializers.Serializer):
    """A PUT's body: only the fields declared, each optional. A key it does not know is
    refused by name (``{"by": 1}`` never reaches a service's keywords), except the
    read-only ones of the GET (``ignored``), which a client may send back unchanged."""

    ignored: tuple[str, ...] = ()

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields) - set(self.ignored))
        if unknown:
            raise serializers.ValidationError({f: [_("Tidak dikenal.")] for f in unknown})
        return super().to_internal_value(data)


class YesNoField(serializers.BooleanField):
    TRUE_VALUES = serializers.BooleanField.TRUE_VALUES | {"ya", "Ya", "YA"}
    FALSE_VALUES = serializers.BooleanField.FALSE_VALUES | {"tidak", "Tidak", "TIDAK"}


class ShuSettingsInput(KnownFieldsInput):
    """The SHU settings to change, as typed (``"22,5"`` or ``22.5``): text, like the
    settings screen's form; ``shu_settings_set`` reads and checks the numbers and choices."""

    ignored = ("effective_year",)

    def get_fields(self):
        fields = {
            f: serializers.CharField(required=False, max_length=40)
            for f in services.SETTINGS_FIELDS
        }
        fields["capital_includes_sukarela"] = YesNoField(required=False)
        return fields


class RatTextsInput(KnownFieldsInput):
    """The RAT pack's texts to change (text without NUL; null or empty clears one)."""

    ignored = ("year",)

    def get_fields(self):
        return {
            f: serializers.CharField(
                required=False,
                allow_blank=True,
                allow_null=True,
                style={"base_template": "textarea.html"},  # multi-line (core.common.text)
            )
            for f in RatReport.TEXT_FIELDS
        }


class ChecklistItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    ok = serializers.BooleanField()
    detail = serializers.CharField()
    fix_url = serializers.CharField()


class ChecklistSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    ready = serializers.BooleanField()
    # closed by the ledger's own year close without the year end: see `year_closed_in_ledger`
    closed_in_ledger = serializers.BooleanField()
    # closed here, reopened in the ledger (existing data): see `year_reopened_in_ledger`;
    # the way out is POST …/reclose/
    reopened_in_ledger = serializers.BooleanField()
    items = ChecklistItemSerializer(many=True)


class ShareRowSerializer(serializers.Serializer):
    member_id = serializers.IntegerField()
    number = serializers.CharField()
    name = serializers.CharField()
    capital = serializers.DecimalField(max_digits=18, decimal_places=2)
    contribution = serializers.DecimalField(max_digits=18, decimal_places=2)
    jma = serializers.DecimalField(max_digits=18, decimal_places=2)
    jua = serializers.DecimalField(max_digits=18, decimal_places=2)
    total = serializers.DecimalField(max_digits=18, decimal_places=2)


class CapitalMonthSerializer(serializers.Serializer):
    month_end = serializers.DateField()
    old_books = serializers.IntegerField(help_text="Anggota yang saldonya dari pembukuan lama.")
    estimated = serializers.IntegerField(
        help_text="Anggota yang saldonya diperkirakan dari simpanan modal yang dibawa masuk."
    )
    sukarela_estimated = serializers.IntegerField(
        help_text="Anggota yang pokok dan wajibnya dari pembukuan lama, sukarelanya diperkirakan "
        "(sukarela dihitung sebagai modal tetapi tidak diunggah)."
    )


class CapitalEstimateSerializer(serializers.Serializer):
    cutover = serializers.DateField()
    month_ends = serializers.ListField(
        child=serializers.DateField(), help_text="Akhir bulan yang (sebagian) diperkirakan."
    )
    members = serializers.IntegerField(help_text="Anggota yang punya akhir bulan diperkirakan.")
    old_books_month_ends = serializers.ListField(
        child=serializers.DateField(), help_text="Akhir bulan yang diambil dari pembukuan lama."
    )
    old_books_members = serializers.IntegerField(
        help_text="Anggota yang punya akhir bulan dari pembukuan lama."
    )
    months = CapitalMonthSerializer(many=True)


class PreviewSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    shu_after_tax = serializers.DecimalField(max_digits=18, decimal_places=2)
    percentages = serializers.DictField(
        child=serializers.DecimalField(max_digits=5, decimal_places=2)
    )
    funds = serializers.DictField(
        child=serializers.DecimalField(max_digits=18, decimal_places=2),
        help_text="Yang diterima tiap dana dan pool anggota (pool yang tidak ada penerimanya "
        "bernilai 0 di sini dan masuk cadangan); berjumlah tepat SHU setelah pajak.",
    )
    pools_to_cadangan = serializers.DictField(
        child=serializers.DecimalField(max_digits=18, decimal_places=2),
        help_text="Per pool anggota (jasa_modal, jasa_anggota): bagian yang tidak ada "
        "penerimanya, dialihkan ke cadangan.",
    )
    rounding_to_cadangan = serializers.DictField(
        child=serializers.DecimalField(max_digits=18, decimal_places=2),
        help_text="Yang masuk cadangan karena pembulatan: per pool anggota (jasa_modal, "
        "jasa_anggota), sisa pembulatan ke kelipatan satuan pembulatan bagian anggota; sen: "
        "bagian SHU setelah pajak di bawah satu rupiah (pembagian dalam rupiah utuh).",
    )
    total_capital = serializers.DecimalField(max_digits=20, decimal_places=2)
    total_contribution = serializers.DecimalField(max_digits=20, decimal_places=2)
    posted = serializers.BooleanField(
        help_text="true: SHU tahun ini sudah diposting; angka-angka adalah pembagian yang "
        "diposting (bagian anggota yang tersimpan), tidak dihitung ulang. false: rancangan "
        "yang dihitung dari data saat ini."
    )
    rat_date = serializers.DateField(allow_null=True)
    rat_decision = serializers.CharField(allow_blank=True)
    capital_estimated = CapitalEstimateSerializer(
        many=True,
        help_text="Dasar modal rata-rata dengan pindah ke Lumbung di tengah tahun: akhir "
        "bulan sebelum tanggal pindah (belum ada simpanan di Lumbung) memakai saldo pembukuan "
        "lama yang diunggah saat pindah, atau bila tidak ada, simpanan modal yang dibawa masuk "
        "(saldo awal) tiap anggota, nol sebelum tanggal masuknya; per bulan di months.",
    )
    members = ShareRowSerializer(many=True)


class PostSerializer(serializers.Serializer):
    rat_date = serializers.DateField()
    rat_decision = serializers.CharField(max_length=100)


class OldBooksRowSerializer(serializers.Serializer):
    member_number = serializers.CharField(max_length=30)
    # whole rupiah as people write them ("250.000"); checked by the service per row
    jma = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    jua = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class OldBooksSerializer(serializers.Serializer):
    rat_date = serializers.DateField(help_text="Tanggal RAT (pembukuan lama) yang menyetujuinya.")
    rat_decision = serializers.CharField(max_length=100)
    rows = OldBooksRowSerializer(
        many=True,
        allow_empty=False,
        max_length=100_000,
        help_text="Per anggota: nomor, jasa modal (JMA) dan jasa usaha (JUA) yang belum dibayar.",
    )
    on = serializers.DateField(required=False, help_text="Tanggal jurnal; kosong: hari ini.")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()


class PayoutItemSerializer(serializers.Serializer):
    member_id = serializers.IntegerField()
    # whole rupiah as people write it ("250.000"); none: the whole unpaid share
    amount = RupiahSerializerField(label=_("Jumlah"), required=False, allow_null=True)
    received_by = serializers.CharField(
        label=_("Nama penerima"),
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Anggota yang meninggal tanpa ahli waris terdaftar (tidak dapat ditambahkan "
        "lagi sesudah keluar): nama penerima, ahli waris menurut surat keterangan ahli waris, "
        "dengan hubungannya. Tanpa ini pembayarannya ditolak (shu_payout_no_heirs).",
    )


class PayoutSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["cash", "sukarela", "bank"])
    on = serializers.DateField(required=False)
    items = PayoutItemSerializer(many=True)


class PayoutResultSerializer(serializers.Serializer):
    member_id = serializers.IntegerField(source="share.member_id")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    method = serializers.CharField()
    receipt_number = serializers.CharField()
    entry = serializers.CharField()
    heirs = serializers.JSONField(
        help_text="Dibayarkan kepada ahli waris anggota yang meninggal: [{name, "
        "relationship, share_percent, amount}], jumlahnya sama dengan amount; kosong bila "
        "dibayar kepada anggota. Tanpa ahli waris terdaftar: satu penerima yang disebut saat "
        "pembayaran (received_by), dengan named_at_payout true."
    )
    credited_account = serializers.CharField(
        source="credited_account.number",
        default=None,
        help_text="Dikreditkan ke sukarela: nomor rekening yang dikreditkan (untuk "
        "keanggotaan lama orang yang masuk lagi, rekening keanggotaannya yang sekarang).",
    )


class PayoutSetAsideSerializer(serializers.Serializer):
    member_id = serializers.IntegerField(source="share.member_id")
    number = serializers.CharField(source="share.member.number")
    name = serializers.CharField(source="share.member.full_name")
    amount = serializers.DecimalField(
        max_digits=18, decimal_places=2, help_text="Jumlah yang diminta dan tidak dibayar."
    )
    code = serializers.CharField(
        help_text="Mengapa tidak dibayar, kode yang stabil: shu_payout_no_sukarela (tidak "
        "punya rekening simpanan sukarela yang aktif, atau sudah keluar: rekening yang "
        "masih terbuka tidak dikreditkan)."
    )
    reason = serializers.CharField(help_text="Alasannya dan apa yang dilakukan, untuk manusia.")


class PayoutBatchSerializer(serializers.Serializer):
    paid = PayoutResultSerializer(
        many=True, source="payouts", help_text="Yang dibayar, dalam satu jurnal."
    )
    unpaid = PayoutSetAsideSerializer(
        many=True,
        source="set_aside",
        help_text="Yang disisihkan, tidak dibayar dan tetap terutang: dikreditkan ke "
        "sukarela, anggota tanpa rekening sukarela yang aktif (yang sudah keluar dibayar "
        "tunai atau transfer bank; anggota aktif dibukakan rekening dulu).",
    )


class MemberShareSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="member.number")
    name = serializers.CharField(source="member.full_name")
    unpaid = serializers.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        model = MemberShare
        fields = [
            "member_id",
            "number",
            "name",
            "capital",
            "contribution",
            "jma",
            "jua",
            "total",
            "paid",
            "unpaid",
        ]


class SettingsDetail(YearEndView):
    @extend_schema(responses=ShuSettingsSerializer)
    def get(self, request, year: int):
        return Response(ShuSettingsSerializer(selectors.shu_settings_for(year=year)).data)

    @extend_schema(request=ShuSettingsInput, responses=ShuSettingsSerializer)
    def put(self, request, year: int):
        ser = ShuSettingsInput(data=request_object(request))
        ser.is_valid(raise_exception=True)
        row = services.shu_settings_set(year=year, by=request.user, **ser.validated_data)
        return Response(ShuSettingsSerializer(row).data)


class Checklist(YearEndView):
    @extend_schema(responses=ChecklistSerializer)
    def get(self, request, year: int):
        items = selectors.close_checklist(year=year)
        in_ledger = selectors.closed_in_ledger(year=year) is not None
        reopened = selectors.reopened_in_ledger(year=year) is not None
        return Response(
            ChecklistSerializer(
                {
                    "year": year,
                    "ready": all(i.ok for i in items) and not in_ledger and not reopened,
                    "closed_in_ledger": in_ledger,
                    "reopened_in_ledger": reopened,
                    "items": [asdict(i) for i in items],
                }
            ).data
        )


class Close(YearEndView):
    @extend_schema(request=None, responses=YearEndSerializer)
    def post(self, request, year: int):
        return Response(YearEndSerializer(services.yearend_close(year=year, by=request.user)).data)


class Reclose(YearEndView):
    @extend_schema(
        request=None,
        responses={
            200: YearEndSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`year_not_reopened_in_ledger`: tahun buku itu tidak sedang "
                "dibuka kembali di buku besar sesudah tutup buku. `year_end_entries_reversed`: "
                "jurnal pajak/SHU tutup bukunya sudah dibalik. `year_end_posted_since_close`: "
                "ada jurnal bertanggal tahun itu yang diposting sesudah tutup buku "
                "(`fields.entries`); tutup buku harus dibuka kembali (admin) dan ditutup lagi. "
                "`year_end_manual_entry_pending`: permintaan jurnal manual bertanggal sampai "
                "31 Desember menunggu persetujuan (`fields.requests`). "
                "`year_end_close_missing_in_ledger`: buku besar tidak pernah punya jurnal "
                "penutup tahun itu (status diubah di basis data); tutup buku diulang.",
            ),
        },
        description="Tutup ulang tahun buku yang sudah ditutup di sini tetapi dibuka kembali "
        "di buku besar (data lama, `year_reopened_in_ledger`): tahun buku ditutup kembali di "
        "buku besar seperti saat tutup buku (jurnal penutup baru, sama dengan yang dibalik), "
        "tanpa memposting pajak penghasilan atau SHU lagi. Bendahara, admin.",
    )
    def post(self, request, year: int):
        return Response(
            YearEndSerializer(services.yearend_reclose(year=year, by=request.user)).data
        )


class Reopen(YearEndView):
    write_roles = SETTINGS_ADMINS

    @extend_schema(request=ReasonSerializer, responses=YearEndSerializer)
    def post(self, request, year: int):
        ser = ReasonSerializer(data=request_object(request))
        ser.is_valid(raise_exception=True)
        ye = services.yearend_reopen(
            year=year, reason=ser.validated_data["reason"], by=request.user
        )
        return Response(YearEndSerializer(ye).data)


def preview_data(preview, *, sort: str) -> dict:
    return {
        "year": preview.year_end.year,
        "shu_after_tax": preview.year_end.shu_after_tax,
        "percentages": preview.percentages,
        "funds": preview.funds,
        "pools_to_cadangan": preview.to_reserve,
        "rounding_to_cadangan": rounding_to_cadangan(preview.split),
        "total_capital": preview.allocation.total_capital,
        "total_contribution": preview.allocation.total_contribution,
        "posted": preview.posted,
        "rat_date": preview.year_end.rat_date if preview.posted else None,
        "rat_decision": preview.year_end.rat_decision if preview.posted else "",
        "capital_estimated": preview.capital_estimates,
        "members": [
            {**asdict(r), "total": r.total, "name": preview.names.get(r.member_id, "")}
            for r in selectors.preview_rows(preview, sort=sort)
        ],
    }


class Preview(YearEndView):
    @extend_schema(
        parameters=[OpenApiParameter("sort", OpenApiTypes.STR, description="number, -total, …")],
        responses=PreviewSerializer,
    )
    def get(self, request, year: int):
        preview = selectors.shu_preview(year=year)
        sort = request.query_params.get("sort", "number")
        return Response(PreviewSerializer(preview_data(preview, sort=sort)).data)


class Post(YearEndView):
    @extend_schema(request=PostSerializer, responses={201: YearEndSerializer})
    def post(self, request, year: int):
        ser = PostSerializer(data=request_object(request))
        ser.is_valid(raise_exception=True)
        ye = services.shu_post(year=year, by=request.user, **ser.validated_data)
        return Response(YearEndSerializer(ye).data, status=201)


class OldBooks(YearEndView):
    """``POST /api/v1/yearend/<year>/old-books/``: the unpaid SHU of a year before the
    books started in Lumbung, brought in per member from the old books
    (``old_books.shu_old_books_bring_in``); 201 with the year, now posted and
    ``old_books``, whose shares are paid through ``payout/``."""

    @extend_schema(request=OldBooksSerializer, responses={201: YearEndSerializer})
    def post(self, request, year: int):
        ser = OldBooksSerializer(data=request_object(request))
        ser.is_valid(raise_exception=True)
        ye = shu_old_books_bring_in(year=year, by=request.user, **ser.validated_data)
        return Response(YearEndSerializer(ye).data, status=201)


class OldBooksPreviewRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(source="n", help_text="Nomor baris di berkas (atau urutan).")
    member_number = serializers.CharField(source="number")
    name = serializers.CharField(source="member.full_name", default="")
    jma = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    jua = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    total = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    error = serializers.CharField(help_text="Kesalahan baris ini; kosong: benar.")


class OldBooksPreviewSerializer(serializers.Serializer):
    rows = OldBooksPreviewRowSerializer(many=True)
    total = serializers.DecimalField(max_digits=18, decimal_places=2)
    unassigned = serializers.DecimalField(max_digits=18, decimal_places=2)
    exceeds = serializers.BooleanField()
    ok = serializers.BooleanField(help_text="Dapat dibawa: tidak ada baris salah, tidak melebihi.")


class OldBooksPreviewInput(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="Daftar SHU, XLSX atau CSV.")
    rows = OldBooksRowSerializer(many=True, required=False, max_length=100_000)


class OldBooksPreviewView(YearEndView):
    """``POST /api/v1/yearend/<year>/old-books/preview/``: an old books' SHU list
    checked before it is brought in — an uploaded XLSX or CSV (``file``, multipart) or
    ``rows`` as ``old-books/`` takes them; nothing is written."""

    parser_classes = [SafeJSONParser, MultiPartParser, FormParser]

    @extend_schema(request=OldBooksPreviewInput, responses={200: OldBooksPreviewSerializer})
    def post(self, request, year: int):
        upload = request.FILES.get("file")
        if upload is not None:
            rows = old_books_upload_read(upload)
        else:
            ser = OldBooksPreviewInput(data=request_object(request))
            ser.is_valid(raise_exception=True)
            rows = [dict(r) for r in ser.validated_data.get("rows") or []]
            if not rows:
                raise ApplicationError(
                    YearEndErrors.OLD_BOOKS_INVALID,
                    _("Kirim berkas daftar SHU (file) atau daftarnya (rows)."),
                    fields={"file": [_("Wajib diisi.")]},
                )
        return Response(OldBooksPreviewSerializer(old_books_preview(rows=rows)).data)


class OldBooksUndoSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, help_text="Alasan pembatalan (wajib), disimpan utuh."
    )


class OldBooksUndoneSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    reversal_entry = serializers.CharField(
        help_text="Jurnal pembalik jurnal SHU pembukuan lama yang dibatalkan."
    )
    unassigned = serializers.DecimalField(
        max_digits=18,
        decimal_places=2,
        help_text="Saldo SHU Bagian Anggota Belum Dibayar tanpa nama anggota sesudahnya.",
    )


class OldBooksUndo(YearEndView):
    """``POST /api/v1/yearend/<year>/old-books/undo/``: take back the bring-in of the old
    books' unpaid SHU of ``year`` (``old_books.shu_old_books_undo``), with a reason."""

    @extend_schema(
        request=OldBooksUndoSerializer,
        responses={200: OldBooksUndoneSerializer},
        description="Batalkan SHU pembukuan lama yang dibawa (bendahara, admin), dengan "
        "alasan: jurnalnya dibalik, tahun dan SHU anggotanya dihapus, saldo tanpa nama "
        "anggota kembali; tahun itu dapat dibawa lagi. Ditolak (409): belum dibawa atau "
        "sudah dibatalkan (shu_old_books_not_brought_in); SHU anggotanya sudah dibayar, "
        "juga bila pembayarannya dibatalkan, atau lewat penyelesaian keluar "
        "(shu_old_books_used); tahun yang ditutup di Lumbung (shu_old_books_year).",
    )
    def post(self, request, year: int):
        ser = OldBooksUndoSerializer(data=request_object(request))
        ser.is_valid(raise_exception=True)
        rev = shu_old_books_undo(year=year, reason=ser.validated_data["reason"], by=request.user)
        return Response(
            OldBooksUndoneSerializer(
                {"year": year, "reversal_entry": str(rev), "unassigned": shu_unassigned()}
            ).data
        )


class Payout(YearEndView):
    @extend_schema(
        request=PayoutSerializer,
        responses={
            201: OpenApiResponse(
                PayoutBatchSerializer,
                description="Dibayar (paid); yang disisihkan dengan alasannya (unpaid).",
            ),
            200: OpenApiResponse(
                PayoutBatchSerializer,
                description="Tidak ada yang dapat dibayar: paid kosong, semua di unpaid; "
                "tidak ada yang dicatat.",
            ),
        },
    )
    def post(self, request, year: int):
        """Pay members' SHU in one batch, like the year page's "pay the selected":
        credited to sukarela, members without an open sukarela account (a member who
        left included, an account of theirs left open or not) are set aside (``unpaid``,
        a reason each) and the others paid in one entry. A share paid twice, more than
        what is unpaid, a member twice or without a share, a method the settings do not
        allow, a sukarela credit dated (``on``) into a month whose jasa simpanan was run:
        the whole batch is refused, nothing written."""
        ser = PayoutSerializer(data=request_object(request))
        ser.is_valid(raise_exception=True)
        v = ser.validated_data
        batch = services.shu_payout_selected(
            year=year,
            items=[(i["member_id"], i.get("amount")) for i in v["items"]],
            method=v["method"],
            on=v.get("on"),
            by=request.user,
            received_by={
                i["member_id"]: i["received_by"] for i in v["items"] if i.get("received_by")
            },
        )
        return Response(PayoutBatchSerializer(batch).data, status=201 if batch.payouts else 200)


class PayoutReverseSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, help_text="Alasan pembatalan (wajib), disimpan utuh."
    )
    on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Tanggal pembatalan (YYYY-MM-DD), tidak sebelum pembayaran dan tidak di "
        "masa depan; kosong: hari ini.",
    )


class PayoutReversedSerializer(serializers.ModelSerializer):
    member_id = serializers.IntegerField(source="share.member_id")
    year = serializers.IntegerField(source="share.year_end.year")
    entry = serializers.CharField(help_text="Jurnal batch pembayaran aslinya.")
    reversal_entry = serializers.CharField(
        help_text="Jurnal pembatalan: cermin baris-baris pembayaran ini di jurnal batch."
    )
    unpaid = serializers.DecimalField(
        source="share.unpaid",
        max_digits=18,
        decimal_places=2,
        help_text="SHU anggota yang belum dibayar sesudah pembatalan (dapat dibayar lagi).",
    )

    class Meta:
        model = ShuPayout
        fields = [
            "id",
            "year",
            "member_id",
            "on",
            "method",
            "amount",
            "receipt_number",
            "heirs",
            "entry",
            "reversal_entry",
            "reversed_at",
            "reversal_reason",
            "unpaid",
        ]


class PayoutReverse(IdempotentPostMixin, APIView):
    permission_classes = [RolePermission]
    read_roles = STAFF
    write_roles = TREASURY

    @extend_schema(
        request=PayoutReverseSerializer,
        responses={200: PayoutReversedSerializer},
        description="Batalkan satu pembayaran SHU (bendahara, admin), dengan alasan: jurnal "
        "pembatalan mencerminkan baris pembayaran ini di jurnal batch-nya, SHU anggota "
        "kembali belum dibayar, kredit sukarela ditarik kembali (ditolak bila sudah "
        "ditarik anggota), kuitansi ditandai dibatalkan. Ditolak (409): sudah dibatalkan, "
        "bulannya sudah ditutup. Ditolak (400): tanggal `on` sebelum pembayaran atau di "
        "masa depan; kredit sukarela dengan `on` di bulan yang jasa simpanannya sudah "
        "dihitung (shu_payout_reversal_interest_run).",
    )
    def post(self, request, pk: int):
        ser = PayoutReverseSerializer(data=request_object(request))
        ser.is_valid(raise_exception=True)
        payout = get_object_or_404(ShuPayout, pk=pk)
        payout = shu_payout_reverse(
            payout=payout,
            reason=ser.validated_data["reason"],
            on=ser.validated_data.get("on"),
            by=request.user,
        )
        payout.share.refresh_from_db()
        return Response(PayoutReversedSerializer(payout).data)


class Shares(YearEndView):
    @extend_schema(
        parameters=[OpenApiParameter("member", OpenApiTypes.INT, description="one member's")],
        responses=MemberShareSerializer(many=True),
    )
    def get(self, request, year: int):
        qs = MemberShare.objects.filter(year_end__year=year).select_related("member")
        member = query_id(request, "member")
        if member is not None:
            qs = qs.filter(member_id=member)
        return Response(MemberShareSerializer(qs.order_by("member__number"), many=True).data)


class YearEndDetail(YearEndView):
    @extend_schema(
        responses={
            200: YearEndSerializer,
            404: OpenApiResponse(
                ErrorSerializer,
                description="`year_not_closed`: tahun buku itu belum ditutup (belum ada "
                "penutupan tahunnya).",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="`year_closed_in_ledger`: ditutup di buku besar tanpa tutup buku "
                "akhir tahun (tanpa pajak dan SHU belum dibagi); `fields.reopen_page`. "
                "`year_reopened_in_ledger`: ditutup di sini tetapi dibuka kembali di buku "
                "besar (data lama); `fields.reclose`: tutup ulang.",
            ),
        }
    )
    def get(self, request, year: int):
        # closed by the ledger alone, or closed here and reopened in the ledger: what is
        # wrong, the way out
        in_ledger = selectors.closed_in_ledger(year=year) or selectors.reopened_in_ledger(year=year)
        if in_ledger is not None:
            raise in_ledger
        ye = YearEnd.objects.filter(year=year).first()
        if ye is None:  # its own code: a year still open is not a wrong address
            raise ApplicationError(
                YearEndErrors.NOT_CLOSED,
                _("Tahun buku %(y)s belum ditutup.") % {"y": year},
                status=404,
            )
        return Response(YearEndSerializer(ye).data)


class RatTextsSerializer(serializers.ModelSerializer):
    class Meta:
        model = RatReport
        fields = ["year", *RatReport.TEXT_FIELDS]
        read_only_fields = ["year"]


class RatTexts(YearEndView):
    write_roles = TREASURY | {R.KETUA}

    @extend_schema(responses=RatTextsSerializer)
    def get(self, request, year: int):
        return Response(RatTextsSerializer(rat_report_for(year=year)).data)

    @extend_schema(request=RatTextsInput, responses=RatTextsSerializer)
    def put(self, request, year: int):
        ser = RatTextsInput(data=request_object(request))
        ser.is_valid(raise_exception=True)
        row = services.rat_texts_set(year=year, by=request.user, **ser.validated_data)
        return Response(RatTextsSerializer(row).data)


class RatPack(YearEndView):
    @extend_schema(
        parameters=[OpenApiParameter("file", OpenApiTypes.STR, enum=["pdf", "xlsx"])],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def get(self, request, year: int):
        fmt = request.query_params.get("file", "pdf")
        if fmt == "pdf":
            body, ctype = rat_pack_pdf(year=year), "application/pdf"
        elif fmt == "xlsx":
            body = rat_pack_xlsx(year=year)
            ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            raise Http404
        resp = HttpResponse(body, content_type=ctype)
        resp["Content-Disposition"] = f'attachment; filename="laporan-rat-{year}.{fmt}"'
        return resp
