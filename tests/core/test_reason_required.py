"""core.common.errors.reason_required: the one "reason required" refusal every service
uses, with the site's own code, field and message; a reason is returned stripped, and
with a maximum a longer one is refused naming it (never cut)."""

import pytest
from django.utils import translation

from core.common.errors import REASON_MAX_LENGTH, ApplicationError, reason_required


@pytest.fixture(autouse=True)
def _indonesian():
    with translation.override("id"):
        yield


@pytest.mark.parametrize("blank", [None, "", "   ", "\n\t "])
def test_blank_is_refused_with_the_sites_code_and_field(blank):
    with pytest.raises(ApplicationError) as exc:
        reason_required(blank, code="member_invalid", field="heir_reason")
    assert exc.value.code == "member_invalid"
    assert exc.value.fields == {"heir_reason": ["Wajib diisi."]}
    assert str(exc.value.message) == "Alasan wajib diisi."


def test_the_sites_own_message_is_kept():
    with pytest.raises(ApplicationError) as exc:
        reason_required(" ", code="loan_reason_required", message="Alasan penolakan wajib diisi.")
    assert str(exc.value.message) == "Alasan penolakan wajib diisi."
    assert exc.value.fields == {"reason": ["Wajib diisi."]}


def test_returns_the_reason_stripped():
    assert reason_required("  salah input \n", code="x") == "salah input"


def test_max_length_counts_the_stripped_reason_and_refuses_longer_whole():
    ok = "a" * REASON_MAX_LENGTH
    assert reason_required(f"  {ok}  ", code="x", max_length=REASON_MAX_LENGTH) == ok
    with pytest.raises(ApplicationError) as exc:
        reason_required(ok + "b", code="x", field="why", max_length=REASON_MAX_LENGTH)
    assert exc.value.code == "reason_too_long"
    assert "1001 karakter" in str(exc.value.message)
    assert "paling panjang 1000 karakter" in str(exc.value.message)
    assert exc.value.fields == {"why": ["Paling panjang 1000 karakter."]}
    with pytest.raises(ApplicationError) as exc:
        reason_required("abc", code="x", max_length=2, too_long_code="mine")
    assert exc.value.code == "mine"


def test_english_wording_of_the_limit():
    with translation.override("en"), pytest.raises(ApplicationError) as exc:
        reason_required("abc", code="x", max_length=2)
    assert str(exc.value.message) == "The reason is too long (3 characters); at most 2 characters."
