"""The one check on control characters in typed text (``core.common.text``): refused in
every form and serializer text field, single-line unless the field is multi-line (a
textarea, a reason, a note, an address), with an Indonesian message naming the field;
in a reason a service takes straight from a request; in the public sign-up form."""

import pytest
from django import forms
from rest_framework import serializers

from core.common.errors import ApplicationError, reason_required
from core.common.text import control_characters_error

CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f"]


@pytest.mark.parametrize("c", CONTROLS)
@pytest.mark.parametrize("multiline", [False, True])
def test_every_control_character_is_refused_naming_the_field(c, multiline):
    assert control_characters_error(f"Budi{c}Santoso", label="Nama", multiline=multiline) == (
        "Nama tidak boleh berisi karakter kontrol (tak terlihat)."
    )


@pytest.mark.parametrize("c", ["\n", "\r", "\t"])
def test_line_breaks_and_tabs_only_in_multi_line_text(c):
    assert control_characters_error(f"a{c}b", label="Alamat", multiline=True) is None
    assert control_characters_error(f"a{c}b", label="Nama", multiline=False) == (
        "Nama harus satu baris: tidak boleh berisi baris baru atau tab."
    )


@pytest.mark.parametrize(
    "text", ["", "Budi Santoso", "Ni Luh Putu Ayu", "Jl. Merdeka № 5 — ½", "😀"]
)
def test_ordinary_text_passes(text):
    assert control_characters_error(text, label="Nama", multiline=False) is None


class _Form(forms.Form):
    name = forms.CharField(label="Nama")
    address = forms.CharField(label="Alamat", widget=forms.Textarea, required=False)
    email = forms.EmailField(label="E-mail", required=False)
    password = forms.CharField(widget=forms.PasswordInput, required=False)


def test_every_form_text_field_refuses_control_characters():
    form = _Form(data={"name": "Budi\x01", "address": "Jl. A\x0bB", "email": "a\x01@b.id"})
    assert not form.is_valid()
    assert form.errors["name"] == ["Nama tidak boleh berisi karakter kontrol (tak terlihat)."]
    assert form.errors["address"] == ["Alamat tidak boleh berisi karakter kontrol (tak terlihat)."]
    assert "email" in form.errors


def test_nul_keeps_djangos_own_refusal():
    form = _Form(data={"name": "Budi\x00\x01"})
    assert not form.is_valid()
    assert form.errors["name"] == ["Karakter null tidak diizinkan."]


def test_a_textarea_takes_lines_a_text_input_does_not():
    form = _Form(data={"name": "Budi\tSantoso", "address": "Jl. A\r\nKota B"})
    assert not form.is_valid()
    assert list(form.errors) == ["name"]
    form = _Form(data={"name": "Budi Santoso", "address": "Jl. A\r\nKota B", "password": "a\tb"})
    assert form.is_valid(), form.errors


class _Serializer(serializers.Serializer):
    name = serializers.CharField(label="Nama")
    full_name = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)
    memo = serializers.CharField(required=False)
    remarks = serializers.CharField(required=False, style={"base_template": "textarea.html"})


def test_every_serializer_text_field_refuses_control_characters():
    s = _Serializer(data={"name": "Budi\x7f", "full_name": "Budi\x01", "reason": "a\x1fb"})
    assert not s.is_valid()
    assert s.errors["name"] == ["Nama tidak boleh berisi karakter kontrol (tak terlihat)."]
    # no label of its own (DRF's would be English): the field is named by the error's key
    assert s.errors["full_name"] == [
        "Isian ini tidak boleh berisi karakter kontrol (tak terlihat)."
    ]
    assert "reason" in s.errors


def test_serializer_prose_fields_take_lines_names_do_not():
    prose = {"reason": "a\nb", "memo": "a\r\nb", "remarks": "a\tb"}
    assert _Serializer(data={"name": "Budi", **prose}).is_valid()
    s = _Serializer(data={"name": "Budi\nSantoso"})
    assert not s.is_valid() and list(s.errors) == ["name"]


def test_a_reason_given_straight_to_a_service_is_checked():
    with pytest.raises(ApplicationError) as e:
        reason_required("salah\x01ketik", code="x_reason_required")
    assert e.value.code == "validation_error"
    assert e.value.fields == {
        "reason": ["Alasan tidak boleh berisi karakter kontrol (tak terlihat)."]
    }
    assert reason_required("baris satu\nbaris dua", code="x") == "baris satu\nbaris dua"


def test_public_signup_refuses_a_control_character_in_the_cooperative_name(db):
    from tenants.forms import SignupForm

    form = SignupForm(data={"name": "KPRI\x01Maju", "contact_name": "Budi\x1fSantoso"})
    assert not form.is_valid()
    assert form.errors["name"] == [
        "Nama koperasi tidak boleh berisi karakter kontrol (tak terlihat)."
    ]
    assert form.errors["contact_name"] == [
        "Narahubung tidak boleh berisi karakter kontrol (tak terlihat)."
    ]


def test_rat_texts_are_multi_line_on_the_screen_and_in_the_api():
    from core.yearend.api import RatTextsInput
    from core.yearend.forms import RatTextsForm

    texts = {"agenda": "1. Pembukaan\r\n2. Laporan pengurus", "policies": "a\n\tb"}
    form = RatTextsForm(data=texts)
    assert form.is_valid(), form.errors
    s = RatTextsInput(data=texts)
    assert s.is_valid(), s.errors
    form = RatTextsForm(data={"agenda": "1. Pembukaan\x01"})
    assert not form.is_valid() and list(form.errors) == ["agenda"]
