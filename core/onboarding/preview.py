"""The preview of an upload (steps 2, 4, 4a and 4b): the file is checked and what it
would save shown, nothing of the step written. The file itself is kept in the
cooperative's schema (``UploadPreview``: its bytes and checksum, who, when; two hours)
and the confirm form carries only a signed reference to it (this cooperative, this
step, that file), a few hundred bytes whatever the file's size: the checked rows of the
largest cooperatives (20,000 members × 11 month-ends) would outgrow the form body Django
accepts (``DATA_UPLOAD_MAX_MEMORY_SIZE``, 2.5 MB). *Simpan* reads the kept file again
and the step's service checks it again as an upload, so a preview can only ever save
what an upload would; the kept file is then deleted.

Rows given as data rather than a file (the trial balance typed in the grid, the API's
JSON ``rows``) are kept the same way, as JSON (``upload_preview_keep_rows``): the same
reference, expiry and checks. What the form said besides the file is kept with it
(``UploadPreview.options``: the trial balance's account mapping, hidden rows checked)
and is under the same signature: the reference signs one checksum of the file and of
those options in canonical form (``_signed_checksum``), so a kept mapping altered since
the preview is refused at the confirm, nothing written, as an altered file is. The API
answers the reference with its preview, and a save call may send it instead of the rows
(``core.onboarding.api``). Each refusal has its own error code (altered or unknown,
expired, already saved, another user's, another step's, options changed)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from django.core import signing
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common.errors import ApplicationError

from . import files
from .common import E
from .models import MoveIn, UploadPreview

SALT = "onboarding.upload-preview"
# the upload form's reference to a held file, to preview it again: never a confirm
KEPT_SALT = "onboarding.upload-kept"
MAX_AGE = timedelta(hours=2)
# ``options["source"]`` (and the reference's ``"s"``) of rows kept as JSON, not a file
ROWS = "rows"
FILE = "file"


def _checksum(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _canonical(value: Any) -> str:
    """One text for one value whatever the order of its keys (JSON, keys sorted)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _signed_checksum(sha256: str, options: dict) -> str:
    """What the reference signs: the kept file's checksum and the options it was checked
    with (the mapping, hidden rows checked), in canonical form. One checksum for both,
    so the reference is no longer for the options."""
    return _checksum(f"{sha256}\n{_canonical(options)}".encode())


@transaction.atomic
def upload_preview_keep(
    *, move_in: MoveIn, kind: str, content: bytes, file_name: str, options: dict, by
) -> str:
    """Keep the file of a preview until it is confirmed or expires, and return the
    reference the confirm form carries. Previews expired meanwhile (anyone's) go."""
    kept = upload_preview_hold(
        move_in=move_in, kind=kind, content=content, file_name=file_name, by=by
    )
    return upload_preview_sign(kept=kept, options=options)


@transaction.atomic
def upload_preview_hold(
    *, move_in: MoveIn, kind: str, content: bytes, file_name: str, by
) -> UploadPreview:
    """Keep an uploaded file before it is checked (the screen's *Unggah dan pratinjau*),
    so that the treasurer who then changes the mapping or ticks the hidden-rows box
    previews again without choosing the file again (``upload_preview_kept_reference``,
    ``upload_preview_kept_file``). It has no confirm until ``upload_preview_sign`` gives
    it one, after its rows checked; a file refused is kept for its two hours as well,
    then cleared with the expired previews (and by the undo)."""
    upload_previews_clear_expired()
    return UploadPreview.objects.create(
        move_in=move_in,
        kind=kind,
        file_name=file_name[:255],
        content=content,
        sha256=_checksum(content),
        size=len(content),
        options={"source": FILE},
        created_by=by,
        expires_at=timezone.now() + MAX_AGE,
    )


@transaction.atomic
def upload_preview_sign(*, kept: UploadPreview, options: dict) -> str:
    """The confirm's reference of a held file once checked, with the options it was
    checked with (kept and signed with it; a reference signed earlier for the same file
    with other options is refused at its confirm as *changed*). Its two hours start
    again."""
    kept.options = {**options, "source": FILE}
    kept.expires_at = timezone.now() + MAX_AGE
    kept.save(update_fields=["options", "expires_at"])
    return _reference(kept)


@transaction.atomic
def upload_preview_keep_rows(
    *, move_in: MoveIn, kind: str, rows: list[dict], options: dict, by
) -> str:
    """Keep rows given as data (the grid as typed, the API's JSON ``rows``) as a file's
    preview is kept, and return the reference. ``upload_preview_rows`` gives them back
    exactly: what was previewed is what is saved."""
    content = json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return _keep(
        move_in=move_in,
        kind=kind,
        content=content.encode(),
        file_name="",
        options={**options, "source": ROWS},
        by=by,
    )


def _keep(*, move_in: MoveIn, kind: str, content: bytes, file_name: str, options: dict, by):
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
    return _reference(kept)


def _reference(kept: UploadPreview) -> str:
    return signing.dumps(
        {
            "p": kept.pk,
            "k": kept.kind,
            "t": connection.schema_name,
            "h": _signed_checksum(kept.sha256, kept.options),
            "s": kept.options["source"],
        },
        salt=SALT,
    )


def upload_preview_kept_reference(kept: UploadPreview) -> str:
    """The reference the upload form carries to bring a held file back
    (``upload_preview_kept_file``). Signed with a salt of its own: it never confirms."""
    return signing.dumps(
        {"p": kept.pk, "k": kept.kind, "t": connection.schema_name, "h": kept.sha256},
        salt=KEPT_SALT,
    )


def _not_kept(message: str) -> ApplicationError:
    return ApplicationError(E.PREVIEW_INVALID, message, fields={"file": [message]})


def upload_preview_kept_file(*, reference: str, kind: str, by) -> UploadPreview:
    """The file an upload form sent back instead of choosing it again: the held file the
    reference names, this cooperative's, this step's, its uploader's, unexpired, its bytes
    unchanged. Refused otherwise (``PREVIEW_INVALID``, ``PREVIEW_EXPIRED``,
    ``PREVIEW_OTHER_USER``; on the field ``file``), asking for the file again."""
    try:
        data = signing.loads(str(reference or ""), salt=KEPT_SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        message = _(
            "Berkas yang diunggah sudah kedaluwarsa (lebih dari 2 jam); pilih berkasnya lagi."
        )
        raise ApplicationError(E.PREVIEW_EXPIRED, message, fields={"file": [message]}) from None
    except signing.BadSignature:
        data = None
    unknown = _("Berkas yang diunggah tidak dikenal; pilih berkasnya lagi.")
    if (
        not isinstance(data, dict)
        or data.get("t") != connection.schema_name
        or data.get("k") != kind
        or not isinstance(data.get("p"), int)
    ):
        raise _not_kept(unknown)
    kept = UploadPreview.objects.filter(pk=data["p"], kind=kind).first()
    if kept is None or kept.expires_at <= timezone.now():
        message = _(
            "Berkas yang diunggah sudah tidak disimpan (dipakai, dibatalkan atau "
            "kedaluwarsa); pilih berkasnya lagi."
        )
        raise ApplicationError(E.PREVIEW_USED, message, fields={"file": [message]})
    if kept.created_by_id != by.pk:
        message = _("Berkas ini diunggah oleh pengguna lain; pilih berkasnya sendiri.")
        raise ApplicationError(E.PREVIEW_OTHER_USER, message, fields={"file": [message]})
    if data.get("h") != kept.sha256 or kept.sha256 != _checksum(bytes(kept.content)):
        raise _not_kept(unknown)
    return kept


def _refused(code: E, source: str) -> ApplicationError:
    """The refusal of a reference, in the words of what was previewed: a file is
    uploaded again, rows (the grid, the API) are checked again."""
    if source == ROWS:
        message = {
            E.PREVIEW_INVALID: _("Pratinjau tidak dikenal; periksa datanya lagi."),
            E.PREVIEW_USED: _(
                "Pratinjau ini sudah disimpan, dibatalkan atau kedaluwarsa; periksa datanya lagi."
            ),
            E.PREVIEW_EXPIRED: _(
                "Pratinjau sudah kedaluwarsa (lebih dari 2 jam); periksa datanya lagi."
            ),
            E.PREVIEW_OTHER_USER: _(
                "Pratinjau ini dibuat oleh pengguna lain; periksa datanya sendiri."
            ),
        }.get(code)
    else:
        message = {
            E.PREVIEW_INVALID: _("Pratinjau tidak dikenal; unggah berkasnya lagi."),
            E.PREVIEW_USED: _(
                "Pratinjau ini sudah disimpan, dibatalkan atau kedaluwarsa; unggah berkasnya lagi."
            ),
            E.PREVIEW_EXPIRED: _(
                "Pratinjau sudah kedaluwarsa (lebih dari 2 jam); unggah berkasnya lagi."
            ),
            E.PREVIEW_OTHER_USER: _(
                "Pratinjau ini dibuat oleh pengguna lain; unggah berkasnya sendiri."
            ),
        }.get(code)
    if code == E.PREVIEW_OTHER_STEP:
        message = _("Pratinjau ini untuk langkah lain; periksa data langkah ini.")
    return ApplicationError(code, message, fields={"reference": [message]})


def upload_preview_take(*, reference: str, kind: str, by) -> UploadPreview:
    """The kept preview a confirm form (or an API save) names, locked (a double click
    waits, then finds it gone). Refused, each with its code: the reference altered or
    another cooperative's, or its file no longer has the checksum the reference signed
    (``PREVIEW_INVALID``); its options (the trial balance's mapping, hidden rows checked)
    no longer those the reference signed (``PREVIEW_CHANGED``); made for another step
    (``PREVIEW_OTHER_STEP``); expired, kept or cleared since (``PREVIEW_EXPIRED``);
    already saved or undone with its move-in (``PREVIEW_USED``); made by another user
    (``PREVIEW_OTHER_USER``). Call inside a transaction; delete it once saved."""
    reference = str(reference or "")
    try:
        data = signing.loads(reference, salt=SALT)
    except signing.BadSignature:
        raise _refused(E.PREVIEW_INVALID, FILE) from None
    source = data.get("s", FILE) if isinstance(data, dict) else FILE
    if (
        not isinstance(data, dict)
        or data.get("t") != connection.schema_name
        or not isinstance(data.get("p"), int)
    ):
        raise _refused(E.PREVIEW_INVALID, source)
    if data.get("k") != kind:
        raise _refused(E.PREVIEW_OTHER_STEP, source)
    kept = UploadPreview.objects.select_for_update().filter(pk=data["p"], kind=kind).first()
    if kept is None:
        try:  # cleared after its two hours (the daily task, a later preview): expired
            signing.loads(reference, salt=SALT, max_age=MAX_AGE)
        except signing.SignatureExpired:
            raise _refused(E.PREVIEW_EXPIRED, source) from None
        raise _refused(E.PREVIEW_USED, source)
    if kept.expires_at <= timezone.now():
        kept.delete()
        raise _refused(E.PREVIEW_EXPIRED, source)
    if kept.created_by_id != by.pk:
        raise _refused(E.PREVIEW_OTHER_USER, source)
    if kept.sha256 != _checksum(bytes(kept.content)):
        raise _refused(E.PREVIEW_INVALID, source)
    if data.get("h") != _signed_checksum(kept.sha256, kept.options or {}):
        raise _options_changed(kind)
    return kept


def _options_changed(kind: str) -> ApplicationError:
    """The refusal of a kept preview whose options are not those previewed."""
    if kind == "trial_balance":
        message = _(
            "Pemetaan akun pratinjau ini berubah sejak diperiksa; tidak ada yang diposting. "
            "Buat pratinjaunya lagi, periksa, lalu posting."
        )
    else:
        message = _(
            "Pilihan pratinjau ini berubah sejak diperiksa; tidak ada yang disimpan. "
            "Buat pratinjaunya lagi, periksa, lalu simpan."
        )
    return ApplicationError(E.PREVIEW_CHANGED, message, fields={"reference": [message]})


def upload_preview_same_options(kept: UploadPreview, options: dict) -> bool:
    """Whether ``options`` sent again with a confirm (the screen's mapping) are the kept
    ones, in canonical form; an empty option is one not given."""
    kept_options = kept.options or {}
    return all(
        _canonical(kept_options.get(key) or None) == _canonical(value or None)
        for key, value in options.items()
    )


def upload_preview_same_file(kept: UploadPreview, content: bytes) -> bool:
    """Whether ``content`` (a file sent again with a confirm) is the kept file, byte for
    byte (its checksum)."""
    return _checksum(content) == kept.sha256


T = TypeVar("T")


@dataclass(frozen=True)
class PreviewConfirmed(Generic[T]):
    """What the confirm of a kept preview saved (``saved``: what the step's service
    returned), and the rows it saved with the file's hidden rows and CSV encoding (for
    the success message)."""

    saved: T
    rows: list[dict[str, Any]]
    hidden: list[int]
    encoding: str


@transaction.atomic
def upload_preview_confirm(
    *,
    reference: str,
    kind: str,
    by,
    save: Callable[[MoveIn, list[dict[str, Any]], dict], T],
    content: bytes | None = None,
    options: dict | None = None,
) -> PreviewConfirmed[T]:
    """The confirm of any step's preview (the screen's confirm buttons, the API's save by
    ``reference``): the preview the reference names (``upload_preview_take``: its own
    refusals) is saved by the step's service, ``save(move_in, rows, options)``, with the
    rows as they were previewed and the options (hidden rows checked, the trial
    balance's mapping) they were checked with, once; the service checks them again as an
    upload, against the books as they are now. A file sent with the confirm
    (``content``) must be the kept one byte for byte, else refused
    (``PREVIEW_CHANGED``); so must the options sent again with it (``options``: the
    screen's trial-balance mapping, parsed), in canonical form (``PREVIEW_CHANGED``).
    Any refusal, the service's included, writes nothing and keeps the preview; once
    saved, it is deleted in the same transaction."""
    kept = upload_preview_take(reference=reference, kind=kind, by=by)
    if content is not None and not upload_preview_same_file(kept, content):
        if kind == "trial_balance":
            message = _(
                "Berkas ini bukan berkas yang diperiksa di pratinjau; tidak ada yang diposting. "
                "Unggah berkasnya lagi, periksa, lalu posting."
            )
        else:
            message = _(
                "Berkas ini bukan berkas yang diperiksa di pratinjau; tidak ada yang disimpan. "
                "Unggah berkasnya lagi, periksa, lalu simpan."
            )
        raise ApplicationError(E.PREVIEW_CHANGED, message, fields={"file": [message]})
    if options and not upload_preview_same_options(kept, options):
        message = _(
            "Pemetaan akun ini bukan pemetaan yang diperiksa di pratinjau; tidak ada yang "
            "diposting. Unggah berkasnya lagi dengan pemetaan ini, periksa, lalu posting."
        )
        raise ApplicationError(E.PREVIEW_CHANGED, message, fields={"mapping": [message]})
    rows, hidden, encoding = upload_preview_rows(kept)
    saved = save(kept.move_in, rows, dict(kept.options or {}))
    kept.delete()
    return PreviewConfirmed(saved=saved, rows=rows, hidden=hidden, encoding=encoding)


def upload_preview_rows(kept: UploadPreview) -> tuple[list[dict], list[int], str]:
    """The rows a kept preview holds, as when it was previewed: rows kept as data given
    back as they were; a file read again (its hidden rows refused unless they were
    checked at the preview, its CSV encoding). Returns ``(rows, hidden rows, encoding)``
    like ``files.rows_checked_for_hidden``."""
    options = kept.options or {}
    if options.get("source") == ROWS:
        return json.loads(bytes(kept.content)), [], ""
    return files.rows_checked_for_hidden(
        content=bytes(kept.content),
        file_name=kept.file_name,
        kind=kept.kind,
        hidden_rows_ok=bool(options.get("hidden_rows_ok")),
    )


def upload_previews_remove(mi: MoveIn) -> int:
    """The undo's part: the move-in's previews not confirmed go with it."""
    return UploadPreview.objects.filter(move_in=mi).delete()[0]


def upload_previews_clear_expired() -> int:
    """Delete the previews past their two hours (files of members' figures are kept no
    longer than needed): at each new preview, and daily by the beat
    (``core.onboarding.tasks``). Returns how many."""
    return UploadPreview.objects.filter(expires_at__lte=timezone.now()).delete()[0]
