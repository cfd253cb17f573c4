"""The preview of an upload (steps 4a and 4b): the file is checked and what it would
save shown, nothing written; *Simpan* then saves exactly those rows without the file
being sent again. The checked rows travel in the confirm form as a signed token (this
cooperative, this move-in, this step; two hours), and the service checks them again
when they are saved, so a token can only ever save what the service accepts."""

from __future__ import annotations

from django.core import signing
from django.db import connection
from django.utils.translation import gettext as _

from core.common.errors import ApplicationError

from .common import E

SALT = "onboarding.upload-preview"
MAX_AGE = 2 * 3600


def preview_token(*, kind: str, move_in_id: int, rows: list[dict], skipped: int = 0) -> str:
    return signing.dumps(
        {"k": kind, "t": connection.schema_name, "m": move_in_id, "r": rows, "s": skipped},
        salt=SALT,
        compress=True,
    )


def preview_token_read(*, token: str, kind: str) -> tuple[int, list[dict], int]:
    """``(move-in id, rows, rows skipped)`` of a token made for ``kind`` in this
    cooperative; a token that is expired, altered or made for something else is
    refused (upload the file again)."""
    try:
        data = signing.loads(str(token or ""), salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        data = None
        message = _("Pratinjau sudah kedaluwarsa (lebih dari 2 jam); unggah berkasnya lagi.")
    except signing.BadSignature:
        data = None
        message = _("Pratinjau tidak dikenal; unggah berkasnya lagi.")
    if data is not None and (
        not isinstance(data, dict)
        or data.get("k") != kind
        or data.get("t") != connection.schema_name
        or not isinstance(data.get("r"), list)
    ):
        data = None
        message = _("Pratinjau tidak dikenal; unggah berkasnya lagi.")
    if data is None:
        raise ApplicationError(E.PREVIEW_INVALID, message)
    return int(data["m"]), data["r"], int(data.get("s") or 0)
