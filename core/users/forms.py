import unicodedata

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import User


def login_name(raw: str | None) -> str:
    """How a typed login name is looked up and counted: trimmed, in lower case."""
    return (raw or "").strip().lower()


def axes_username(request, credentials=None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the name django-axes records and checks a lockout by,
    as ``login_name`` makes it (``credentials`` when given, else the posted field), so
    "Nama@x" and "nama@x" share one failure count and a success resets it."""
    if credentials:
        raw = credentials.get("username")
    else:
        raw = (getattr(request, "data", None) or request.POST).get("username")
    return login_name(raw) if raw is not None else None


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

    def clean_username(self) -> str:
        """The stored login name the typed one stands for, whatever its capitals (a
        phone capitalises the first letter; a self sign-up keeps the capitals of the
        address's local part), so it still signs in. The lockout and the throttles
        count the name in lower case however it is written (``axes_username``)."""
        typed = self.cleaned_data["username"]
        if len(typed) > self.fields["username"].max_length:
            return typed  # refused by clean()
        stored = list(
            User._default_manager.filter(username__iexact=typed).values_list("username", flat=True)[
                :10
            ]
        )
        if typed in stored or len(stored) != 1:
            return typed  # exact, unknown, or ambiguous: as typed
        return stored[0]

    def get_invalid_login_error(self):
        """A deactivated login given its right password is told so (Django's backends
        refuse inactive users as if the password were wrong, and "Lupa kata sandi"
        sends nothing to them either: the person would never learn to ask the admin).
        Only with the right password, and not while the name is locked out: the
        attempt still counted as a failure, so this opens no guessing."""
        if self._inactive_with_this_password():
            return ValidationError(self.error_messages["inactive"], code="inactive")
        return super().get_invalid_login_error()

    def _inactive_with_this_password(self) -> bool:
        if self.request is None or getattr(self.request, "axes_locked_out", False):
            return False
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (username and password):
            return False
        user = User._default_manager.filter(username=username, is_active=False).first()
        return user is not None and user.check_password(password)

    def clean(self):
        # Django sets the username's max_length after the field is built, so it is only
        # an HTML attribute: a longer name reached authenticate() and django-axes'
        # failure record (255 characters), a 500. Refused here, before either.
        username = self.cleaned_data.get("username") or ""
        limit = self.fields["username"].max_length
        if len(username) > limit:
            raise ValidationError(
                _("Nama pengguna/e-mail paling banyak %(n)s karakter (ini %(len)s)."),
                code="username_too_long",
                params={"n": limit, "len": len(username)},
            )
        return super().clean()


def _same_email(a: str, b: str) -> bool:
    """Django's own comparison for reset e-mails (NFKC, case-folded)."""
    return (
        unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold()
    )


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form, which also answers an invited login that never set its
    password (no usable password, never signed in): an invitation is a reset link with
    the same lifetime, and once it expired "Lupa kata sandi" is how the person gets a
    new one. Django's form sends nothing to a login without a usable password."""

    def get_users(self, email):
        yield from super().get_users(email)
        invited = User._default_manager.filter(
            email__iexact=email, is_active=True, last_login__isnull=True, api_key__isnull=True
        )
        for user in invited:
            if not user.has_usable_password() and _same_email(email, user.email):
                yield user


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


def _current_password_field(*, required: bool, help_text="") -> forms.CharField:
    return forms.CharField(
        label=_("Kata sandi saat ini"),
        required=required,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Masukkan kata sandi Anda saat ini.")},
    )


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Nama lengkap"), max_length=200)
    email = forms.EmailField(label=_("E-mail"))
    # asked (by the view) only when the e-mail changes: reset links go to that address
    current_password = _current_password_field(
        required=False, help_text=_("Wajib diisi bila e-mail diganti.")
    )


class CurrentPasswordForm(forms.Form):
    """Re-authentication before a change that weakens the account (two-step off)."""

    current_password = _current_password_field(required=True)


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
