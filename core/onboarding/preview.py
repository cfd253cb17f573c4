"""The preview of an upload (steps 2, 4, 4a and 4b): the file is checked and what it
would save shown, nothing of the step written. The file itself is kept in the
cooperative's schema (``UploadPreview``: its bytes and checksum, who, when; two hours)
and the confirm form carries only a signed reference to it (this cooperative, this
step, that file), a few hundred bytes whatever the file's size: the checked rows of the
largest cooperatives (20,000 members × 11 month-ends) would outgrow the form body Django
accepts (``DATA_UPLOAD_MAX_MEMORY_SIZE``, 2.5 MB). *Simpan* reads the kept file again
and the step's service checks it again as an upload, so a preview can only ever save
what an upload would; the kept file is then deleted."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.core import signing
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common.errors import ApplicationError

from .common import E
from .models import MoveIn, UploadPreview

SALT = "onboarding.upload-preview"
MAX_AGE = timedelta(hours=2)


def _checksum(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@transaction.atomic
def upload_preview_keep(
    *, move_in: MoveIn, kind: str, content: bytes, file_name: str, options: dict, by
) -> str:
    """Keep the file of a preview until it is confirmed or expires, and return the
    reference the confirm form carries. Previews expired meanwhile (anyone's) go."""
    now = timezone.now()
    upload_previews_clear_expired()
    kept = UploadPreview.objects.create(
        move_in=move_in,
        kind=kind,
        file_name=file_name[:255],
        content=content,
        sha256=_checksum(content),
        size=len(content),
        options=options,
        created_by=by,
        expires_at=now + MAX_AGE,
    )
    return signing.dumps(
        {"p": kept.pk, "k": kind, "t": connection.schema_name, "h": kept.sha256}, salt=SALT
    )


def _refused(message: str) -> ApplicationError:
    return ApplicationError(E.PREVIEW_INVALID, message)


def upload_preview_take(*, reference: str, kind: str, by) -> UploadPreview:
    """The kept preview a confirm form names, locked (a double click waits, then finds
    it gone). Refused (upload the file again) when the reference is altered or made for
    another step or cooperative, the preview expired, was already saved or undone with
    its move-in, was made by another user, or its file no longer has the checksum the
    reference signed. Call inside a transaction; delete it once saved."""
    unknown = _("Pratinjau tidak dikenal; unggah berkasnya lagi.")
    try:
        data = signing.loads(str(reference or ""), salt=SALT)
    except signing.BadSignature:
        raise _refused(unknown) from None
    if (
        not isinstance(data, dict)
        or data.get("k") != kind
        or data.get("t") != connection.schema_name
        or not isinstance(data.get("p"), int)
    ):
        raise _refused(unknown)
    kept = UploadPreview.objects.select_for_update().filter(pk=data["p"], kind=kind).first()
    if kept is None:
        raise _refused(
            _("Pratinjau ini sudah disimpan, dibatalkan atau kedaluwarsa; unggah berkasnya lagi.")
        )
    if kept.expires_at <= timezone.now():
        kept.delete()
        raise _refused(_("Pratinjau sudah kedaluwarsa (lebih dari 2 jam); unggah berkasnya lagi."))
    if kept.created_by_id != by.pk:
        raise _refused(_("Pratinjau ini dibuat oleh pengguna lain; unggah berkasnya sendiri."))
    if not (data.get("h") == kept.sha256 == _checksum(bytes(kept.content))):
        raise _refused(unknown)
    return kept


def upload_previews_remove(mi: MoveIn) -> int:
    """The undo's part: the move-in's previews not confirmed go with it."""
    return UploadPreview.objects.filter(move_in=mi).delete()[0]


def upload_previews_clear_expired() -> int:
    """Delete the previews past their two hours (files of members' figures are kept no
    longer than needed): at each new preview, and daily by the beat
    (``core.onboarding.tasks``). Returns how many."""
    return UploadPreview.objects.filter(expires_at__lte=timezone.now()).delete()[0]
