"""core.common.forms: the one way an HTML view shows a service error on its form."""

import pytest
from django import forms

from core.common.errors import ApplicationError
from core.common.forms import application_errors_to, form_error


class NameForm(forms.Form):
    name = forms.CharField(required=False)


def _bound():
    form = NameForm({"name": "x"})
    assert form.is_valid()
    return form


def test_message_is_form_wide_and_field_messages_go_to_their_field():
    form = _bound()
    form_error(form, ApplicationError("c", "Gagal.", fields={"name": ["Nama dipakai."]}))
    assert form.non_field_errors() == ["Gagal."]
    assert form.errors["name"] == ["Nama dipakai."]


def test_a_field_the_form_lacks_is_shown_form_wide_once():
    form = _bound()
    form_error(
        form, ApplicationError("c", "Gagal.", fields={"other": ["Lain.", "Gagal."], "x": "?"})
    )
    assert form.non_field_errors() == ["Gagal.", "Lain."]


def test_context_manager_swallows_the_error_onto_the_form():
    form = _bound()
    with application_errors_to(form) as outcome:
        raise ApplicationError("c", "Ditolak.")
    assert not outcome.ok and outcome.error.code == "c"
    assert form.non_field_errors() == ["Ditolak."]


def test_context_manager_lets_success_and_other_errors_through():
    form = _bound()
    with application_errors_to(form) as outcome:
        pass
    assert outcome.ok and form.is_valid()
    with pytest.raises(ValueError), application_errors_to(form):
        raise ValueError("bug")


def test_messages_variant_shows_the_message(rf):
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.fallback import FallbackStorage

    from core.common.forms import application_errors_to_messages

    request = rf.post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    with application_errors_to_messages(request) as outcome:
        raise ApplicationError("c", "Tidak bisa.")
    assert not outcome.ok
    assert [str(m) for m in get_messages(request)] == ["Tidak bisa."]


def test_form_error_message_does_not_name_the_field_twice():
    """A rupiah field's own message already starts with its label (parse_rupiah):
    a proof of transfer with "tiga juta" said "Jumlah yang ditransfer: Jumlah yang
    ditransfer 'tiga juta' bukan angka rupiah yang jelas; …"."""
    from billing.forms import ProofNoteForm
    from core.common.forms import form_error_message

    form = ProofNoteForm({"amount": "tiga juta"})
    assert not form.is_valid()
    message = form_error_message(form)
    assert message.count("Jumlah yang ditransfer") == 1
    assert message.startswith("Jumlah yang ditransfer 'tiga juta' bukan angka rupiah")

    class Labelled(forms.Form):
        name = forms.CharField(label="Nama")

    assert form_error_message(Labelled({})).startswith("Nama: ")  # others keep their label
