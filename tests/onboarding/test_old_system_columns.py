"""A loans file as the old system prints it, with its own column names and order
(*Plafon*, *Tgl Realisasi*, *Jangka Waktu*, *Sisa Pinjaman*, *Tunggakan Bunga*,
*No. Agt*): the unambiguous names are read as the template's columns; one that could
mean two things (*Bunga*, *Angsuran Ke*) is not, and a file that lacks a column is
refused naming what was found, what is missing and what was not read; two columns
read as one, or one title naming two, are refused naming both."""

import pytest

from core.common.errors import ApplicationError
from core.loans.models import Loan
from core.onboarding import files
from core.onboarding.files import rows_from_file
from core.onboarding.loans_import import loans_import
from core.onboarding.services import trial_balance_post
from tests.sheets import xlsx_bytes

from .helpers import arrears_row, loan_row, tb_rows

TITLE = [["KOPERASI PEGAWAI REPUBLIK INDONESIA BINA SEJAHTERA"], ["DAFTAR PINJAMAN"], []]


def test_loans_in_the_old_systems_own_column_names_are_brought_in(
    move_in, by, members, product, cutover
):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    move_in.refresh_from_db()
    a, b = loan_row(members[0], cutover), arrears_row(members[1], cutover)
    header = ["No", "No. Agt", "Nama", "Kode Produk", "Plafon (Rp)", "Tgl Realisasi"]
    header += ["Jangka Waktu (bulan)", "Angsuran Dibayar", "Sisa Pinjaman"]
    header += ["Tunggakan Bunga", "Tunggakan Pokok", "No. Kontrak"]

    def line(i, r, m):
        return [i, m.number, m.full_name, "PINJ", r["principal"], r["disbursed_on"]]

    content = xlsx_bytes(
        [
            *TITLE,
            header,
            [
                *line(1, a, members[0]),
                "12",
                a["instalments_paid"],
                a["outstanding"],
                "0",
                "0",
                a["loan_number"],
            ],
            [
                *line(2, b, members[1]),
                "12",
                b["instalments_paid"],
                b["outstanding"],
                b["arrears_jasa"],
                b["arrears_principal"],
                b["loan_number"],
            ],
        ]
    )

    rows = rows_from_file(content=content, file_name="pinjaman.xlsx", kind="loans")
    assert [(r["member_number"], r["principal"], r["outstanding"]) for r in rows] == [
        (members[0].number, "12.000.000", "5.000.000"),
        (members[1].number, "12.000.000", "7.000.000"),
    ]
    loans = loans_import(move_in=move_in, rows=rows, by=by)

    got = {
        (x.member_id, x.number, x.principal, x.principal_outstanding, x.tenor)
        for x in Loan.objects.filter(pk__in=[ln.pk for ln in loans])
    }
    assert got == {
        (members[0].pk, "LAMA-002", 12000000, 5000000, 12),
        (members[1].pk, "LAMA-003", 12000000, 7000000, 12),
    }
    assert Loan.objects.get(member=members[1]).jasa_receivable == 240000


def test_disbursement_and_tenor_names_and_member_number_synonyms_are_read(move_in):
    header = ["Nomor Anggota", "Kode Produk", "Pinjaman Pokok", "Tanggal Cair", "Lama"]
    header += ["Saldo Pinjaman", "Angsuran Dibayar", "Suku Bunga (%)"]
    content = xlsx_bytes(
        [header, ["A-1", "PINJ", "1.000.000", "2026-01-15", "10", "500.000", 5, 1]]
    )
    (row,) = rows_from_file(content=content, file_name="p.xlsx", kind="loans")
    assert (row["member_number"], row["principal"], row["disbursed_on"]) == (
        "A-1",
        "1.000.000",
        "2026-01-15",
    )
    assert (row["tenor"], row["outstanding"], row["rate"]) == ("10", "500.000", 1)


def test_old_layout_without_a_product_column_is_refused_naming_found_missing_and_unclear(
    move_in, members
):
    header = ["No Anggota", "Nama", "NIP", "Plafon", "Tgl Realisasi", "Jangka Waktu"]
    header += ["Bunga", "Angsuran Ke", "Sisa Pinjaman", "Tunggakan Bunga", "Tunggakan Pokok"]
    m = members[0]
    line = [m.number, m.full_name, m.nip, "12.000.000", "2026-01-15", 12, 1, 8]
    content = xlsx_bytes([*TITLE, header, [*line, "5.000.000", 0, 0]])

    with pytest.raises(ApplicationError) as e:
        rows_from_file(content=content, file_name="pinjaman.xlsx", kind="loans")

    assert e.value.code == "onboarding_file_invalid"
    msg = e.value.message
    assert "kolom wajib yang tidak ada: kode produk" in msg
    for found in (
        "No Anggota (no anggota)",
        "NIP (nip)",
        "Plafon (pokok awal)",
        "Tgl Realisasi (tanggal cair)",
        "Jangka Waktu (tenor)",
        "Sisa Pinjaman (sisa pokok)",
        "Tunggakan Bunga (tunggakan jasa)",
        "Tunggakan Pokok (tunggakan pokok)",
    ):
        assert found in msg, found
    assert "Bunga: bisa persen jasa atau jasa per angsuran" in msg
    assert "Angsuran Ke: bisa angsuran yang sudah dibayar atau angsuran berikutnya" in msg
    # neither ambiguous title was taken as a column
    assert "Bunga (jasa)" not in msg and "(angsuran dibayar)" not in msg


def test_two_columns_read_as_one_are_refused_naming_both(move_in):
    header = ["No. Agt", "Kode Produk", "Plafon", "Tgl Realisasi", "Jangka Waktu"]
    header += ["Sisa Pokok", "Sisa Pinjaman", "Angsuran Dibayar"]
    content = xlsx_bytes([header, ["A-1", "PINJ", "1.000.000", "2026-01-15", 10, 500000, 0, 5]])

    with pytest.raises(ApplicationError) as e:
        rows_from_file(content=content, file_name="p.xlsx", kind="loans")

    assert e.value.code == "onboarding_file_invalid"
    assert "kolom Sisa Pokok dan Sisa Pinjaman sama-sama dibaca sebagai sisa pokok" in (
        e.value.message
    )


def test_a_title_naming_two_columns_is_refused_naming_both(move_in, monkeypatch):
    monkeypatch.setitem(files.LOAN_COLUMNS, "rate", (*files.LOAN_COLUMNS["rate"], "sisapinjaman"))
    header = ["No. Agt", "Kode Produk", "Plafon", "Tgl Realisasi", "Jangka Waktu"]
    header += ["Sisa Pinjaman", "Angsuran Dibayar"]
    content = xlsx_bytes([header, ["A-1", "PINJ", "1.000.000", "2026-01-15", 10, 500000, 5]])

    with pytest.raises(ApplicationError) as e:
        rows_from_file(content=content, file_name="p.xlsx", kind="loans")

    assert "kolom Sisa Pinjaman cocok untuk dua kolom templat: jasa dan sisa pokok" in (
        e.value.message
    )


@pytest.mark.parametrize(
    "spec",
    [files.TB_COLUMNS, files.LOAN_COLUMNS, files.SHU_COLUMNS, files.CAPITAL_COLUMNS],
)
def test_no_column_name_belongs_to_two_fields(spec):
    names = [n for ns in spec.values() for n in ns]
    assert len(names) == len(set(names))
    # nor is an ambiguous title read as a column
    assert not set(names) & set(files.AMBIGUOUS["loans"])


def test_jasa_and_capital_lists_read_no_agt(move_in):
    content = xlsx_bytes([["No. Agt", "Nama", "Jasa Dibayar"], ["A-1", "Ani", "120.000"]])
    (row,) = rows_from_file(content=content, file_name="j.xlsx", kind="shu_contributions")
    assert (row["member_number"], row["jasa"]) == ("A-1", "120.000")


def test_trial_balance_kode_akun_beside_nama_akun_and_two_name_columns_stay_allowed(move_in):
    tb = xlsx_bytes([["Kode Akun", "Nama Akun", "Debet", "Kredit"], ["1101", "Kas", "1.000", "-"]])
    (row,) = rows_from_file(content=tb, file_name="n.xlsx", kind="trial_balance")
    assert row["account"] == "1101"
    jasa = xlsx_bytes([["No. Agt", "Nama", "Nama Anggota", "Jasa"], ["A-1", "Ani", "Ani", "1.000"]])
    (row,) = rows_from_file(content=jasa, file_name="j.xlsx", kind="shu_contributions")
    assert row["jasa"] == "1.000"


def test_jasa_in_rupiah_is_not_read_as_the_rate(move_in):
    header = ["No. Agt", "Kode Produk", "Plafon (Rp)", "Tgl Realisasi", "Jangka Waktu"]
    header += ["Jasa (Rp)", "Sisa Pinjaman (Rp)", "Angsuran Dibayar"]
    content = xlsx_bytes([header, ["A-1", "PINJ", "1.000.000", "2026-01-15", 10, "10.000", 1, 5]])
    (row,) = rows_from_file(content=content, file_name="p.xlsx", kind="loans")
    assert "rate" not in row
    assert (row["principal"], row["outstanding"]) == ("1.000.000", 1)
