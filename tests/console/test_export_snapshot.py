"""The console's export of a cooperative is one snapshot: a write committed while the
export runs appears in none of its files (not in the tables copied after it, not in the
README's row counts), so the exported ledger is the ledger of one moment."""

import csv
import io
import re
import zipfile

import psycopg2.extensions
from django.db import connection

from lumbung.console import export as export_module
from lumbung.console.export import tenant_export_build


def test_export_is_one_snapshot_even_while_the_cooperative_is_written_to(
    scratch_tenant, django_db_blocker, monkeypatch
):
    schema = scratch_tenant.schema_name
    real_open = zipfile.ZipFile.open
    written: list[str] = []

    def open_member(self, name, mode="r", *args, **kwargs):
        name_ = getattr(name, "filename", name)  # writestr opens a ZipInfo
        if mode == "w" and name_.startswith("csv/") and not written:
            # Another connection (a teller, say) commits a row while the export runs,
            # into a table the export has not copied yet.
            other = connection.get_new_connection(connection.get_connection_params())
            other.autocommit = True
            with other.cursor() as cur:
                cur.execute(
                    f'INSERT INTO "{schema}".django_migrations (app, name, applied) '
                    "VALUES ('zz_ditulis', 'selama_ekspor', now())"
                )
            other.close()
        if mode == "w":
            written.append(name_)
        return real_open(self, name, mode, *args, **kwargs)

    # The CSVs are streamed into zip members opened for writing, one table after another.
    monkeypatch.setattr(zipfile.ZipFile, "open", open_member)
    with django_db_blocker.unblock():
        with connection.cursor() as cur:
            cur.execute(f'SELECT count(*) FROM "{schema}".django_migrations')
            before = cur.fetchone()[0]
        out = tenant_export_build(cooperative=scratch_tenant, dump=False)
    archive = zipfile.ZipFile(out)
    assert written[0] < "csv/django_migrations.csv"  # the write came before that copy
    rows = list(csv.DictReader(io.StringIO(archive.read("csv/django_migrations.csv").decode())))
    assert not any(r["app"] == "zz_ditulis" for r in rows)
    assert len(rows) == before
    assert f"  django_migrations: {before}\n" in archive.read("README.txt").decode()


def test_export_csvs_defuse_formulas_in_text_and_keep_numbers_as_numbers(
    scratch_tenant, django_db_blocker
):
    """A cooperative that leaves opens these CSVs in Excel: a name typed as a formula must
    stay text (a leading apostrophe), while numbers (ids, amounts) stay numbers."""
    from core.users.models import User

    with django_db_blocker.unblock():
        connection.set_tenant(scratch_tenant)
        admin = User.objects.get(username=f"admin@{scratch_tenant.slug}.test")
        admin.first_name = '=HYPERLINK("http://x.test","klik")'
        admin.last_name = "-Budi"
        admin.save(update_fields=["first_name", "last_name"])
        connection.set_schema_to_public()
        out = tenant_export_build(cooperative=scratch_tenant, dump=False)
    archive = zipfile.ZipFile(out)
    rows = list(csv.DictReader(io.StringIO(archive.read("csv/users_user.csv").decode())))
    row = next(r for r in rows if r["username"] == admin.username)
    assert row["first_name"] == "'" + admin.first_name
    assert row["last_name"] == "'-Budi"
    assert row["id"] == str(admin.pk)
    assert "'" in archive.read("README.txt").decode()  # the README explains the apostrophe


class _CountingCursor(psycopg2.extensions.cursor):
    """A real cursor that also keeps the statements it ran (the export's own connection
    is not Django's, so CaptureQueriesContext does not see it)."""

    ran: list[str] = []

    def execute(self, query, vars=None):
        _CountingCursor.ran.append(query if isinstance(query, str) else query.decode())
        return super().execute(query, vars)

    def copy_expert(self, sql, file, size=8192):
        _CountingCursor.ran.append(sql)
        return super().copy_expert(sql, file, size)


def _export_counting(cooperative, monkeypatch):
    real = export_module._snapshot_connection

    def counting():
        conn, snapshot = real()
        conn.cursor_factory = _CountingCursor
        return conn, snapshot

    monkeypatch.setattr(export_module, "_snapshot_connection", counting)
    _CountingCursor.ran = []
    out = tenant_export_build(cooperative=cooperative, dump=False)
    catalog = [
        q for q in _CountingCursor.ran if re.search(r"pg_class|pg_attribute|information_schema", q)
    ]
    return zipfile.ZipFile(out), catalog, list(_CountingCursor.ran)


def test_export_reads_the_catalog_once_however_many_tables(
    scratch_tenant, django_db_blocker, monkeypatch
):
    """The tables and their columns come from one catalog read; every table is then one
    COPY (no per-table column look-up, no per-table count)."""
    schema = scratch_tenant.schema_name
    with django_db_blocker.unblock():
        archive, catalog, ran = _export_counting(scratch_tenant, monkeypatch)
        tables = [n for n in archive.namelist() if n.startswith("csv/")]
        with connection.cursor() as cur:
            for i in range(5):
                cur.execute(
                    f'CREATE TABLE "{schema}".zz_extra_{i} (id int, note text, v varchar(5))'
                )
                cur.execute(
                    f'INSERT INTO "{schema}".zz_extra_{i} VALUES (1, %s, %s), (2, NULL, %s)',
                    ["=SUM(A1)", "ok", "+62"],
                )
        more, catalog_more, ran_more = _export_counting(scratch_tenant, monkeypatch)
    assert len(catalog) == 1 and len(catalog_more) == 1
    assert len(ran_more) - len(ran) == 5  # one COPY per added table, nothing else
    assert len([n for n in more.namelist() if n.startswith("csv/")]) == len(tables) + 5
    rows = list(csv.reader(io.StringIO(more.read("csv/zz_extra_3.csv").decode())))
    assert rows == [["id", "note", "v"], ["1", "'=SUM(A1)", "ok"], ["2", "", "'+62"]]
    assert "  zz_extra_3: 2\n" in more.read("README.txt").decode()
