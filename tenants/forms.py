import re

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.common.errors import ApplicationError

from .models import Cooperative
from .regions import is_valid_place, province_names, regencies_of
from .services import LEGAL_NUMBER, NIK_KOPERASI
from .signup import SignupData, identifier_availability, slug_availability
from .validators import (
    EMAIL_MAX_LENGTH,
    EMAIL_TOO_LONG,
    LEGAL_NUMBER_MAX_LENGTH,
    normalize_phone,
    validate_email_address,
    validate_legal_date,
    validate_legal_number,
    validate_nik_koperasi,
    validate_slug,
)

# "350", "1.250" or "1,250" (thousands grouped by one kind of separator), spaces allowed.
COUNT_RE = re.compile(r"[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?:,[0-9]{3})+")


class MemberCountField(forms.IntegerField):
    """A whole number people type as they write it here: ``1.250`` is one thousand two
    hundred and fifty (Django's IntegerField read ``1.000`` as 1, dropping ``.000``).
    A text input, so that a browser keeps the dots as typed."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid": _("Tulis jumlah anggota sebagai bilangan bulat, mis. 350 atau 1.250.")
    }

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        for name in ("min", "max", "step"):  # a number input's, not a text input's
            attrs.pop(name, None)
        attrs["inputmode"] = "numeric"
        return attrs

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = re.sub(r"\s", "", str(value))
        if not COUNT_RE.fullmatch(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(re.sub(r"[.,]", "", text))


def _raise(exc: ApplicationError, field: str):
    messages = exc.fields.get(field) or [exc.message]
    raise ValidationError([str(exc.message)] if len(messages) == 1 else messages)


class SignupForm(forms.Form):
    name = forms.CharField(label=_("Nama koperasi"), max_length=200)
    slug = forms.CharField(
        label=_("Alamat Lumbung"),
        max_length=40,
        help_text=_("3–40 huruf kecil, angka atau tanda hubung."),
    )
    kind = forms.ChoiceField(
        label=_("Jenis koperasi"), choices=Cooperative.Kind.choices, initial=Cooperative.Kind.KPRI
    )
    # The length is one of validate_legal_number's rules, refused with all of them.
    legal_number = forms.CharField(
        label=_("Nomor badan hukum"),
        widget=forms.TextInput(attrs={"maxlength": LEGAL_NUMBER_MAX_LENGTH}),
    )
    legal_date = forms.DateField(
        label=_("Tanggal badan hukum"), widget=forms.DateInput(attrs={"type": "date"})
    )
    nik_koperasi = forms.CharField(
        label=_("NIK koperasi (opsional)"), max_length=30, required=False
    )
    province = forms.ChoiceField(label=_("Provinsi"))
    regency = forms.ChoiceField(
        label=_("Kabupaten/kota"),
        error_messages={"invalid_choice": _("Kabupaten/kota tidak ada di provinsi ini.")},
    )
    member_count = MemberCountField(
        label=_("Perkiraan jumlah anggota"), min_value=1, max_value=1_000_000
    )
    contact_name = forms.CharField(label=_("Narahubung"), max_length=200)
    email = forms.CharField(
        label=_("E-mail"),
        max_length=EMAIL_MAX_LENGTH,
        error_messages={"max_length": EMAIL_TOO_LONG},
    )
    phone = forms.CharField(label=_("Telepon / WhatsApp"), max_length=30)
    password = forms.CharField(
        label=_("Kata sandi admin pertama"), widget=forms.PasswordInput, strip=False
    )
    password2 = forms.CharField(
        label=_("Ulangi kata sandi"), widget=forms.PasswordInput, strip=False
    )
    terms = forms.BooleanField(label=_("Saya menyetujui syarat dan ketentuan Lumbung"))
    # the version the checkbox named (rendered by the template as the one in force now)
    terms_version = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    # Honeypot: hidden from people by CSS; bots fill every field.
    website = forms.CharField(required=False, label=_("Situs web"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [("", "—")] + [(p, p) for p in province_names()]
        province = self.data.get("province") or self.initial.get("province") or ""
        self.fields["regency"].choices = [("", "—")] + [(r, r) for r in regencies_of(province)]

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))

    def clean_slug(self):
        slug = self.cleaned_data["slug"].strip().lower()
        try:
            validate_slug(slug)
        except ApplicationError as exc:
            _raise(exc, "slug")
        return slug

    def clean_email(self):
        try:
            return validate_email_address(self.cleaned_data["email"])
        except ApplicationError as exc:
            _raise(exc, "email")

    def clean_phone(self):
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except ApplicationError as exc:
            _raise(exc, "phone")

    def clean_nik_koperasi(self):
        try:
            return validate_nik_koperasi(self.cleaned_data["nik_koperasi"])
        except ApplicationError as exc:
            _raise(exc, "nik_koperasi")

    def clean_legal_number(self):
        try:
            return validate_legal_number(self.cleaned_data["legal_number"])
        except ApplicationError as exc:
            _raise(exc, "legal_number")

    def clean_legal_date(self):
        try:
            return validate_legal_date(self.cleaned_data["legal_date"])
        except ApplicationError as exc:
            _raise(exc, "legal_date")

    def clean(self):
        data = super().clean()
        if data.get("slug") and "email" in data:
            problem = slug_availability(data["slug"], email=data["email"])
            if problem is not None:
                self.add_error("slug", problem.fields["slug"][0])
        for identifier in (LEGAL_NUMBER, NIK_KOPERASI):
            if data.get("slug") and data.get(identifier.field):
                problem = identifier_availability(
                    identifier, data[identifier.field], slug=data["slug"]
                )
                if problem is not None:
                    self.add_error(identifier.field, problem.message)
        province, regency = data.get("province"), data.get("regency")
        if province and regency and not is_valid_place(province=province, regency=regency):
            self.add_error("regency", _("Kabupaten/kota tidak ada di provinsi ini."))
        password = data.get("password")
        if password:
            if password != data.get("password2"):
                self.add_error("password2", _("Kedua kata sandi tidak sama."))
            else:
                try:
                    validate_password(password)
                except ValidationError as exc:
                    self.add_error("password", exc)
        return data

    def to_data(self) -> SignupData:
        d = self.cleaned_data
        return SignupData(
            slug=d["slug"],
            name=d["name"].strip(),
            kind=d["kind"],
            legal_number=d["legal_number"],
            legal_date=d["legal_date"],
            nik_koperasi=d["nik_koperasi"],
            province=d["province"],
            regency=d["regency"],
            member_count=d["member_count"],
            contact_name=d["contact_name"].strip(),
            email=d["email"],
            phone=d["phone"],
            password=d["password"],
            terms_version=d.get("terms_version", ""),
        )
