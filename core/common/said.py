"""Texts the system writes now and someone reads later, said in the reader's language.

A payroll import's errors, the results of "post every ready agency", the daily
sub-ledger reconciliation's rows, a background file's failure: written by code (a task,
an upload) in the writer's language, read later on a page (the UI's language) or in the
API (the request's). Such a text is kept as a stable ``code`` with its ``params`` (plain
JSON) beside the text as written, and rendered again when shown.

- Each module registers its messages once, at import: ``said_register({code: render})``,
  ``render(params) -> str`` (``None``: nothing to say now; the stored text is shown). A
  code belongs to one module (another module registering it is refused at start-up),
  so a module's codes carry its prefix (``subledger.…``); the payroll import's older
  codes have none.
- ``Said(code, params)`` is the message as rendered now: a ``str`` that knows its code
  and params, so the caller keeps both (``said_kept``) and uses the text as any other.
- ``said_shown(item)`` renders a kept ``{"code", "params", "message"}`` in the active
  language; an item kept before codes (no code, a code this version does not know, a
  plain string) shows its stored ``message``, as do params in a shape this version does
  not read (logged to be mended, never an error page).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

Render = Callable[[dict], "str | None"]

_RENDER: dict[str, Render] = {}


def said_register(renders: dict[str, Render]) -> None:
    """Make ``renders``' codes known to ``Said`` and ``said_shown``."""
    for code, render in renders.items():
        known = _RENDER.get(code)
        # the same module again (imported anew) replaces its own; another module's clashes
        if known is not None and known.__module__ != render.__module__:
            raise ImproperlyConfigured(
                f"message code {code!r} registered by {known.__module__} and {render.__module__}"
            )
        _RENDER[code] = render


def said_known(code: str) -> bool:
    return code in _RENDER


class Said(str):
    """A message as rendered now (the text) that knows its ``code`` and ``params``, so
    that it can be kept (``said_kept``) and rendered again in another language."""

    code: str
    params: dict

    def __new__(cls, code: str, params: dict | None = None, *, text: str = "") -> Said:
        """``text``: the message as the caller has it already in the active language
        (a check's own refusal), else rendered from ``code`` and ``params``."""
        params = dict(params or {})
        said = super().__new__(cls, text or _RENDER[code](params))
        said.code = code
        said.params = params
        return said

    def __reduce__(self):
        # copied or pickled (an error's message in a deep copy, a cache): the same text,
        # code and params, not rendered again
        return (_said_again, (self.code, self.params, str(self)))


def _said_again(code: str, params: dict, text: str) -> Said:
    return Said(code, params, text=text)


def said_kept(said: str) -> dict:
    """A message as kept: ``{"code", "params", "message"}`` (code None: plain text)."""
    if isinstance(said, Said):
        return {"code": said.code, "params": said.params, "message": str(said)}
    return {"code": None, "params": {}, "message": str(said)}


def said_shown(item: dict | str) -> str:
    """A kept message in the active language; its stored text when it has no code this
    version renders (kept before codes, a plain string)."""
    if isinstance(item, str):
        return item
    render = _RENDER.get(item.get("code") or "")
    if render is not None:
        try:
            text = render(item.get("params") or {})
        except (KeyError, TypeError, ValueError, ArithmeticError):
            # params kept by another version in a shape this one does not read: the
            # text stored is shown (a page that says it, not an error page), and the
            # mismatch is logged to be mended
            logger.exception("message %s not rendered from %r", item.get("code"), item)
            text = None
        if text is not None:
            return text
    return item.get("message", "")
