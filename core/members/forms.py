"""HTML forms of the member registry: they parse input; services validate the rules."""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.common.fields import RupiahField
from core.common.money import parse_percent

from .models import Agency, Member
from .services import MAX_REASON, MAX_TAKE_HOME_PAY, member_field_errors
from .validators import ID_TYPED_MAX_LENGTH


class MemberForm(forms.Form):
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=200)
    # typed as printed ("19800101 200501 1 001") or not: the service keeps the digits
    nip = forms.CharField(label=_("NIP"), max_length=ID_TYPED_MAX_LENGTH, help_text=_("18 digit"))
    nik = forms.CharField(label=_("NIK"), max_length=ID_TYPED_MAX_LENGTH, help_text=_("16 digit"))
    golongan = forms.CharField(label=_("Golongan"), max_length=10, required=False)
    position = forms.CharField(label=_("Jabatan"), max_length=200, required=False)
    agency = forms.ModelChoiceField(label=_("Instansi"), queryset=Agency.objects.none())
    join_date = forms.DateField(
        label=_("Tanggal masuk"), widget=forms.DateInput(attrs={"type": "date"})
    )
    address = forms.CharField(
        label=_("Alamat"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    phone = forms.CharField(label=_("Telepon"), max_length=20, required=False, help_text=_("+62…"))
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    bank_name = forms.CharField(label=_("Nama bank"), max_length=100, required=False)
    bank_account_number = forms.CharField(label=_("Nomor rekening"), max_length=40, required=False)
    bank_account_holder = forms.CharField(
        label=_("Nama pemilik rekening"), max_length=200, required=False
    )
    take_home_pay = RupiahField(
        label=_("Gaji bersih (take home pay)"), required=False, max_value=MAX_TAKE_HOME_PAY
    )

    def __init__(self, *args, editing: bool = False, member: Member | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.fields["agency"].queryset = (
            Agency.objects.filter(is_active=True) if not editing else Agency.objects.all()
        )
        if not editing:
            # as the clerk types or leaves the NIP/NIK: was this person a member
            # before (or is the NIP/NIK refused)? Said again on submit without JS
            for name in ("nip", "nik"):
                self.fields[name].widget.attrs.update(
                    {
                        "hx-get": reverse("members:rejoin_status"),
                        "hx-trigger": "input changed delay:400ms, change",
                        "hx-include": "[name='nip'], [name='nik']",
                        "hx-target": "#rejoin-status",
                        "hx-sync": "closest form:replace",
                        "autocomplete": "off",
                    }
                )
        if editing:
            del self.fields["join_date"]
            self.fields["reason"] = forms.CharField(
                label=_("Alasan perubahan"), max_length=MAX_REASON, required=False
            )

    def clean(self):
        data = super().clean()
        if self.errors:
            # the service is not asked this round: its checks of the fields that did
            # parse (NIP, NIK, phone, …) are said now, with the form's own errors
            valid = {k: v for k, v in data.items() if k not in self.errors and k != "reason"}
            for name, msgs in member_field_errors(valid, instance=self.member).items():
                if name in self.fields and name not in self.errors:
                    for msg in msgs:
                        self.add_error(name, msg)
        return data

    @staticmethod
    def initial_for(member: Member) -> dict:
        return {
            f: getattr(member, f)
            for f in (
                "full_name",
                "nip",
                "nik",
                "golongan",
                "position",
                "agency",
                "address",
                "phone",
                "email",
                "bank_name",
                "bank_account_number",
                "bank_account_holder",
                "take_home_pay",
            )
        }


class AgencyForm(forms.Form):
    code = forms.CharField(label=_("Kode"), max_length=30)
    name = forms.CharField(label=_("Nama instansi"), max_length=200)
    treasurer_name = forms.CharField(label=_("Bendahara gaji"), max_length=200, required=False)
    treasurer_phone = forms.CharField(
        label=_("Telepon bendahara gaji"), max_length=20, required=False
    )
    treasurer_email = forms.CharField(
        label=_("E-mail bendahara gaji"), max_length=254, required=False
    )
    address = forms.CharField(
        label=_("Alamat"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    is_active = forms.BooleanField(label=_("Aktif"), required=False, initial=True)


class HeirForm(forms.Form):
    full_name = forms.CharField(label=_("Nama ahli waris"), max_length=200)
    relationship = forms.CharField(
        label=_("Hubungan"), max_length=50, help_text=_("mis. istri, suami, anak")
    )
    nik = forms.CharField(label=_("NIK"), max_length=ID_TYPED_MAX_LENGTH, required=False)
    phone = forms.CharField(label=_("Telepon"), max_length=20, required=False)
    # read as the page writes shares ("33,5"), with the one percentage reader
    share_percent = forms.CharField(label=_("Bagian (%)"), max_length=20, initial="100")

    def clean_share_percent(self):
        try:
            return parse_percent(self.cleaned_data["share_percent"], field=_("Bagian"), places=2)
        except ValidationError as e:
            raise forms.ValidationError(e.messages) from None


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("Berkas XLSX atau CSV"))


class ImportConfirmForm(forms.Form):
    opening_date = forms.DateField(
        label=_("Tanggal saldo awal"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ExitForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Alasan keluar"),
        choices=[(k, v) for k, v in Member.Status.choices if k != "active"],
    )
    on = forms.DateField(label=_("Tanggal"), widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.ChoiceField(
        label=_("Dibayar melalui"), choices=[("bank", _("Bank / transfer")), ("cash", _("Tunai"))]
    )
    payee = forms.ChoiceField(
        label=_("Dibayarkan kepada"), choices=[("member", _("Anggota")), ("heirs", _("Ahli waris"))]
    )
    waive_loans = forms.BooleanField(
        label=_("Hapus pinjaman (keputusan pengurus, hanya jika meninggal)"), required=False
    )
    waiver_reason = forms.CharField(
        label=_("Alasan penghapusan"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    board_decision_ref = forms.CharField(
        label=_("Nomor keputusan pengurus"), max_length=100, required=False
    )
    # What the screen showed, for the date it showed it for: the amount paid, and the
    # amount paid if the loans are written off (deceased member). The settlement is
    # refused when the figure for the chosen case has changed since.
    expected_net = RupiahField(
        widget=forms.HiddenInput, required=False, whole=False, allow_negative=True
    )
    expected_net_waived = RupiahField(
        widget=forms.HiddenInput, required=False, whole=False, allow_negative=True
    )
    shown_on = forms.DateField(widget=forms.HiddenInput, required=False)
