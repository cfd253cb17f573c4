"""One error type for business rules. Services raise it; the API turns it into
``{"error": {"code", "message", "fields"}}`` and HTML views into a form error."""

from enum import StrEnum
from typing import Any


class ApplicationError(Exception):
    status_code = 400

    def __init__(
        self,
        code: "str | StrEnum",
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code = str(code)
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status_code = status

    def as_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": str(self.message), "fields": self.fields}}


class CommonErrors(StrEnum):
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    VALIDATION = "validation_error"
    READ_ONLY = "tenant_read_only"
