import pytest
from django.core.exceptions import ValidationError

from core.members.validators import (
    normalize_phone,
    parse_nik,
    parse_nip,
    validate_nik,
    validate_nip,
)


def test_nip_parses_birth_date_appointment_and_gender():
    info = parse_nip("198503152010012003")
    assert info.birth_date.isoformat() == "1985-03-15"
    assert (info.appointment_year, info.appointment_month) == (2010, 1)
    assert info.gender == "P"
    assert info.serial == "003"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("19850315201001100", "nip_format"),  # 17 digits
        ("1985031520100110011", "nip_format"),  # 19 digits
        ("19850315201001100a", "nip_format"),
        ("198502302010011001", "nip_birth_date"),  # 30 February
        ("198503152010131001", "nip_appointment"),  # month 13
        ("198503151990011001", "nip_appointment"),  # appointed at 4
        ("198503152010013001", "nip_gender"),  # gender 3
    ],
)
def test_nip_refuses_malformed(value, code):
    with pytest.raises(ValidationError) as e:
        validate_nip(value)
    assert e.value.code == code
    assert "NIP" in e.value.messages[0]


def test_nik_female_day_plus_40():
    info = parse_nik("6271035503850001")
    assert info.province == "62"
    assert info.gender == "P" and info.birth_date_day == 15


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("627103150385000", "nik_format"),
        ("62710315038500012", "nik_format"),
        ("0071031503850001", "nik_region"),
        ("6200031503850001", "nik_region"),
        ("6271033203850001", "nik_birth_date"),  # day 32
        ("6271037203850001", "nik_birth_date"),  # day 72 - 40 = 32
        ("6271031513850001", "nik_birth_date"),  # month 13
        ("6271031503850000", "nik_serial"),
    ],
)
def test_nik_refuses_malformed(value, code):
    with pytest.raises(ValidationError) as e:
        validate_nik(value)
    assert e.value.code == code
    assert "NIK" in e.value.messages[0]


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("62 812 3456 7890", "+6281234567890"),
        ("+6281234567890", "+6281234567890"),
        ("(0536) 322 1234", "+625363221234"),
        ("", ""),
    ],
)
def test_phone_normalised_to_plus62(raw, want):
    assert normalize_phone(raw) == want


@pytest.mark.parametrize("raw", ["12345", "+1 555 0100", "0812abc", "0"])
def test_phone_refuses_non_indonesian(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


@pytest.mark.parametrize("province", ["20", "30", "40", "54", "66", "80", "90", "97", "99"])
def test_nik_province_code_must_be_an_indonesian_province(province):
    """The first two digits are a province code of Kemendagri (11 Aceh … 62 Kalimantan
    Tengah … 96 Papua Barat Daya); 20, 40 or 99 are no province: a mistyped NIK."""
    with pytest.raises(ValidationError) as e:
        validate_nik(f"{province}71031503850001")
    assert e.value.code == "nik_region"


@pytest.mark.parametrize("province", ["11", "19", "21", "31", "36", "51", "62", "76", "82", "96"])
def test_nik_real_province_codes_accepted(province):
    assert parse_nik(f"{province}71031503850001").province == province
