"""Writes on a cooperative's users: invite/create, change role, (de)activate, profile,
two-factor enrolment. Every change of rights is audited in the same transaction."""

from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError, text_checked
from core.common.mail import mail_task_queue_on_commit
from core.users.audit import UserAudit
from core.users.errors import UserErrors

from .models import ApiKey, User
from .tasks import invitation_mail_task

STAFF_ROLES = {
    User.Role.ADMIN,
    User.Role.KETUA,
    User.Role.BENDAHARA,
    User.Role.PETUGAS,
    User.Role.PENGAWAS,
}


def user_create_checks() -> list:
    """Checks run before a login is created, each called as ``check(role=…, staff=…)``
    and raising ApplicationError to refuse (e.g. the plan's staff-user limit, which the
    public billing layer registers: core does not know it). settings.USER_CREATE_CHECKS."""
    return [import_string(p) for p in getattr(settings, "USER_CREATE_CHECKS", [])]


def user_rights_hooks() -> list:
    """Called as ``hook(user=…, by=…)`` in the transaction of a change of a login's
    rights or of what signs it in (deactivated, reactivated, new role or name, new
    password, authenticator turned off or replaced), once it is written: e.g. the
    cooperative's practice copy follows at once (the public tenants layer registers it:
    core does not know it). settings.USER_RIGHTS_CHANGED_HOOKS."""
    return [import_string(p) for p in getattr(settings, "USER_RIGHTS_CHANGED_HOOKS", [])]


def _rights_changed(*, user: User, by) -> None:
    for hook in user_rights_hooks():
        hook(user=user, by=by)


def _normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _check_email_length(email: str, *, field: str) -> None:
    """Refuse an address the column cannot hold (a login's username holds 150, an
    e-mail address 254), by name, before anything is written."""
    limit = User._meta.get_field(field).max_length
    if len(email) > limit:
        message = _("Alamat e-mail paling panjang %(n)s karakter (ini %(len)s).") % {
            "n": limit,
            "len": len(email),
        }
        raise ApplicationError(UserErrors.EMAIL_TOO_LONG, message, fields={"email": [message]})


def _check_role(role: str) -> None:
    if role not in User.Role.values:
        raise ApplicationError(
            UserErrors.INVALID_ROLE, _("Peran tidak dikenal."), fields={"role": [_("Pilih peran.")]}
        )


def _active_admins_other_than(user: User) -> int:
    return (
        User.objects.select_for_update()
        .filter(role=User.Role.ADMIN, is_active=True)
        .exclude(pk__in=ApiKey.objects.values("user_id"))  # a key is not an admin person
        .exclude(pk=user.pk)
        .order_by("pk")
        .count()
    )


@transaction.atomic
def user_create(
    *,
    by: User,
    email: str,
    full_name: str,
    role: str,
    password: str | None = None,
    member_number: str = "",
    request=None,
) -> User:
    """Create a login. Without a password, one made from a ``request`` (the users screen)
    gets an e-mail invitation to set one (a task queued when it commits, in the page's
    language: ``core.users.tasks.invitation_mail_task``). An ``anggota`` login is linked to its member record
    (``member_number``) so the portal shows that member's own data."""
    email = _normalise_email(email)
    _check_role(role)
    member = _member_to_link(role=role, member_number=member_number)
    if not email:
        raise ApplicationError(
            UserErrors.EMAIL_REQUIRED,
            _("E-mail wajib diisi."),
            fields={"email": [_("Wajib diisi.")]},
        )
    _check_email_length(email, field="username")  # the address is the login
    if (
        User.objects.filter(username__iexact=email).exists()
        or User.objects.filter(email__iexact=email).exists()
    ):
        raise ApplicationError(
            UserErrors.USER_EXISTS,
            _("Pengguna dengan e-mail %(email)s sudah ada.") % {"email": email},
            fields={"email": [_("E-mail sudah dipakai.")]},
        )
    for check in user_create_checks():
        check(role=role, staff=role in STAFF_ROLES)
    user = User(
        username=email,
        email=email,
        full_name=full_name.strip(),
        role=role,
        is_staff=role in STAFF_ROLES,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_log(
        actor=by,
        action=UserAudit.CREATED,
        target=user,
        data={"role": role, "invited": not password},
    )
    if member is not None:
        member_link(by=by, user=user, member=member)
    if not password and request is not None:
        mail_task_queue_on_commit(
            invitation_mail_task, user_id=user.pk, language=translation.get_language()
        )
    return user


def _member_to_link(*, role: str, member_number: str):
    member_number = (member_number or "").strip()
    if not member_number:
        return None
    if role != User.Role.ANGGOTA:
        raise ApplicationError(
            UserErrors.MEMBER_FOR_STAFF,
            _("Hanya login berperan Anggota yang dihubungkan ke data anggota."),
            fields={"member_number": [_("Kosongkan untuk peran staf.")]},
        )

    member_model = apps.get_model("members", "Member")
    member = member_model.objects.filter(number=member_number).first()
    if member is None:
        raise ApplicationError(
            UserErrors.MEMBER_NOT_FOUND,
            _("Anggota dengan nomor %(n)s tidak ditemukan.") % {"n": member_number},
            fields={"member_number": [_("Nomor anggota tidak dikenal.")]},
        )
    return member


@transaction.atomic
def member_link(*, by: User, user: User, member) -> None:
    """Give a member their login (``Member.user``): one login per member, anggota only."""
    member = type(member).objects.select_for_update().get(pk=member.pk)
    if member.status != "active":
        # a member who has left is a closed record (the members' own screen refuses the
        # link too; the database would: members migration 0009)
        msg = _(
            "Anggota %(m)s sudah keluar (%(s)s, %(d)s): datanya tidak dapat diubah. "
            "Batalkan penyelesaian keluarnya bila keluarnya keliru."
        ) % {"m": member, "s": member.get_status_display(), "d": format_tanggal(member.exit_date)}
        raise ApplicationError(
            UserErrors.MEMBER_NOT_ACTIVE, msg, fields={"member_number": [msg]}, status=409
        )
    if user.role != User.Role.ANGGOTA:
        raise ApplicationError(
            UserErrors.MEMBER_FOR_STAFF,
            _("Hanya login berperan Anggota yang dihubungkan ke data anggota."),
        )
    if member.user_id and member.user_id != user.pk:
        raise ApplicationError(
            UserErrors.MEMBER_HAS_LOGIN,
            _("Anggota %(m)s sudah punya login lain.") % {"m": member},
            fields={"member_number": [_("Sudah punya login.")]},
        )
    member.user = user
    member.save(update_fields=["user"])
    audit_log(actor=by, action=UserAudit.MEMBER_LINKED, target=user, data={"member": member.number})


@transaction.atomic
def user_update(*, by: User, user: User, full_name: str, role: str, reason: str = "") -> User:
    """Change a user's name and role. The last active admin cannot lose the admin role.
    Another role ends the password links sent before (``User.password_links_voided_at``)."""
    _check_role(role)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = {"full_name": user.full_name, "role": user.role}
    if (
        user.role == User.Role.ADMIN
        and role != User.Role.ADMIN
        and user.is_active
        and _active_admins_other_than(user) == 0
    ):
        raise ApplicationError(
            UserErrors.LAST_ADMIN,
            _("Koperasi harus punya setidaknya satu admin aktif."),
            fields={"role": [_("Ini admin aktif terakhir.")]},
        )
    if user.is_active and role in STAFF_ROLES and user.role not in STAFF_ROLES:
        # a member's login made staff takes a staff seat, as creating one does
        for check in user_create_checks():
            check(role=role, staff=True)
    fields = ["full_name", "role", "is_staff"]
    if role != user.role:
        # a link sent for the old role sets no password for the new one
        user.password_links_voided_at = timezone.now()
        fields.append("password_links_voided_at")
    user.full_name = full_name.strip()
    user.role = role
    user.is_staff = role in STAFF_ROLES
    user.save(update_fields=fields)
    after = {"full_name": user.full_name, "role": user.role}
    if before != after:
        action = "user.role_changed" if before["role"] != role else "user.updated"
        audit_log(
            actor=by, action=action, target=user, reason=reason, data={"from": before, "to": after}
        )
        _rights_changed(user=user, by=by)
    return user


@transaction.atomic
def user_set_active(*, by: User, user: User, active: bool, reason: str = "") -> User:
    """Deactivate (no more logins, its sessions ended: ``user_sessions_end``; history
    kept) or reactivate a user. Either ends the password links (reset, invitation) sent
    before (``User.password_links_voided_at``). The optional ``reason`` (audited) is
    refused with a control character in it (``text_checked``), nothing changed."""
    reason = text_checked(reason or "", field="reason", label=_("Alasan"), multiline=True)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active == active:
        return user
    if not active:
        if user.pk == by.pk:
            raise ApplicationError(
                UserErrors.DEACTIVATE_SELF, _("Anda tidak dapat menonaktifkan akun Anda sendiri.")
            )
        if user.role == User.Role.ADMIN and _active_admins_other_than(user) == 0:
            raise ApplicationError(
                UserErrors.LAST_ADMIN, _("Koperasi harus punya setidaknya satu admin aktif.")
            )
    if active:
        # a reactivated login takes its seat again, as creating one does
        for check in user_create_checks():
            check(role=user.role, staff=user.role in STAFF_ROLES)
    user.is_active = active
    # the password links sent before never work again, also once reactivated: a new
    # one is asked for (core.users.tokens)
    user.password_links_voided_at = timezone.now()
    user.save(update_fields=["is_active", "password_links_voided_at"])
    data = {} if active else {"sessions_ended": user_sessions_end(user=user)}
    audit_log(
        actor=by,
        action=UserAudit.ACTIVATED if active else UserAudit.DEACTIVATED,
        target=user,
        reason=reason,
        data=data,
    )
    _rights_changed(user=user, by=by)
    return user


def user_sessions_end(*, user: User) -> int:
    """Delete ``user``'s live sessions in this cooperative; returns how many. An
    inactive login's sessions are refused anyway, but kept they would come back if the
    login were reactivated: a deactivation ends them for good. (A session holds its
    user's id only inside its signed data, so the live sessions are read; a cooperative
    has few.)"""
    mine = [
        s.session_key
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if s.get_decoded().get(SESSION_KEY) == str(user.pk)
    ]
    Session.objects.filter(session_key__in=mine).delete()
    return len(mine)


@transaction.atomic
def user_credentials_end_all() -> dict[str, int]:
    """Every session of the current schema deleted and every live API key revoked (its
    login deactivated); returns how many of each. For a schema that holds another
    cooperative's rows (a restored backup, ``tenants.backup.cooperative_restore``, which
    audits it in the restore's own row: the copy's tables keep the backup's rows), whose
    sessions and keys are that cooperative's credentials, not this one's. The people's
    logins, passwords and authenticators stay: they sign in again; the admin makes new
    keys."""
    sessions, _by_model = Session.objects.all().delete()
    live = list(ApiKey.objects.select_for_update().filter(revoked_at__isnull=True).order_by("pk"))
    ApiKey.objects.filter(pk__in=[k.pk for k in live]).update(revoked_at=timezone.now())
    User.objects.filter(pk__in=[k.user_id for k in live]).update(is_active=False)
    return {"sessions_ended": sessions, "api_keys_revoked": len(live)}


@transaction.atomic
def user_password_changed(*, user: User, by: User, action: str, data: dict | None = None) -> None:
    """Record that ``user``'s password was just set (Django's password forms write it;
    the caller runs this in the same transaction): audited as ``action`` (a change on
    one's account, a reset or invitation link) and the rights hooks follow, so the
    practice copy takes the new password at once and the old one stops working there."""
    audit_log(actor=by, action=action, target=user, data=data or {})
    _rights_changed(user=user, by=by)


@transaction.atomic
def profile_update(*, user: User, full_name: str, email: str) -> User:
    email = _normalise_email(email)
    _check_email_length(email, field="email")
    if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ApplicationError(
            UserErrors.EMAIL_TAKEN,
            _("E-mail sudah dipakai pengguna lain."),
            fields={"email": [_("E-mail sudah dipakai.")]},
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    # the address reset links go to: a change names both (who moved it where)
    data = {"email": {"from": user.email, "to": email}} if user.email != email else {}
    user.full_name = full_name.strip()
    user.email = email
    user.save(update_fields=["full_name", "email"])
    audit_log(actor=user, action=UserAudit.PROFILE_UPDATED, target=user, data=data)
    return user


# ----- two-factor (TOTP) -----


@transaction.atomic
def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """A new unconfirmed TOTP device for ``user``, whose key the enrolment page shows
    (``core.users.enrolment``: made on *Mulai*, a POST, never by opening the page). Any
    key waiting unconfirmed is deleted: a key shown to someone else before (a stranger
    holding a first login's password reaches the operators' enrolment page too) is void,
    never the one the person confirms."""
    TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)


@transaction.atomic
def totp_confirm(*, user: User, token: str, device: TOTPDevice | None = None):
    """Confirm enrolment with the first code from the app; replaces any older device.
    ``device``: only that waiting key (the one the enrolment page showed this session),
    else the user's oldest waiting one."""
    waiting = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False)
    if device is not None:
        waiting = waiting.filter(pk=device.pk)
    device = waiting.order_by("pk").first()
    if device is None or not device.verify_token((token or "").strip()):
        raise ApplicationError(
            UserErrors.OTP_INVALID,
            _("Kode tidak cocok. Periksa jam di ponsel Anda dan coba lagi."),
            fields={"token": [_("Kode salah.")]},
        )
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_log(actor=user, action=UserAudit.TWO_FACTOR_ENABLED, target=user)
    _rights_changed(user=user, by=user)  # the older authenticator stops everywhere
    return device


@transaction.atomic
def totp_disable(*, user: User, by: User, password_checked: bool = False) -> None:
    """Turn a login's two-step off (its own choice, or an admin's reset after a lost
    phone): its authenticators are deleted, here and (the rights hooks) in the practice
    copy, where a session that passed the code step with one ends. One's own is turned
    off only after giving the password (``password_checked``, the account page): an
    admin's reset of their own login would let an open session weaken it without one."""
    if by.pk == user.pk and not password_checked:
        raise ApplicationError(
            UserErrors.TWO_FACTOR_OFF_SELF,
            _(
                "Verifikasi dua langkah Anda sendiri dimatikan di halaman Akun, dengan "
                "kata sandi Anda."
            ),
            status=403,
        )
    deleted, _rows = TOTPDevice.objects.filter(user=user).delete()
    if deleted:
        audit_log(actor=by, action=UserAudit.TWO_FACTOR_DISABLED, target=user)
        _rights_changed(user=user, by=by)
