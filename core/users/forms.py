from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from .models import User


class LoginForm(AuthenticationForm):
    """Django's login form with one plain message (its own repeats the field name:
    "Masukkan nama pengguna nama pengguna dan sandi …")."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Nama pengguna/e-mail atau kata sandi salah. Huruf besar dan kecil pada kata "
            "sandi dibedakan."
        ),
        "inactive": _("Akun ini tidak aktif. Hubungi admin koperasi."),
    }


class UserCreateForm(forms.Form):
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=200)
    email = forms.EmailField(label=_("E-mail"), help_text=_("Dipakai untuk masuk."))
    role = forms.ChoiceField(label=_("Peran"), choices=User.Role.choices)
    member_number = forms.CharField(
        label=_("Nomor anggota"),
        required=False,
        max_length=30,
        help_text=_("Untuk peran Anggota: data anggota yang dapat dilihat di portal."),
    )
    password = forms.CharField(
        label=_("Kata sandi awal"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Kosongkan untuk mengirim undangan lewat e-mail agar pengguna membuat sandinya sendiri."
        ),
    )

    def clean_password(self):
        pw = self.cleaned_data.get("password")
        if pw:
            validate_password(pw)
        return pw


class UserEditForm(forms.Form):
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=200)
    role = forms.ChoiceField(label=_("Peran"), choices=User.Role.choices)
    reason = forms.CharField(label=_("Alasan perubahan"), required=False, max_length=300)


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("Cari"), required=False)
    role = forms.ChoiceField(
        label=_("Peran"), required=False, choices=[("", _("Semua peran")), *User.Role.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Semua")), ("active", _("Aktif")), ("inactive", _("Nonaktif"))],
    )


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=200)
    email = forms.EmailField(label=_("E-mail"))


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Kode 6 angka dari aplikasi autentikator"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Nama kunci"),
        max_length=100,
        help_text=_("Untuk apa kunci ini, mis. 'Sistem gaji Dinas Pendidikan'."),
    )
    role = forms.ChoiceField(
        label=_("Peran"),
        choices=[(r.value, r.label) for r in User.Role if r != User.Role.ANGGOTA],
        help_text=_("Kunci bertindak dengan hak peran ini."),
    )
