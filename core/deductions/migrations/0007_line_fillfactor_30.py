from django.db import migrations

# A batch posting updates every line of its agency in one statement, and a line grows
# when posted (paid_detail: 357 -> ~684 bytes in bench/deductions_bench.py). The lines
# are written agency by agency, so a page holds one agency's lines and all of them get a
# new version in the same transaction: fillfactor 85 left room for about two of a page's
# ~19 new versions, so ~90 % of those UPDATEs went to another page with a new entry in
# each of the table's six indexes. At 30 a page holds ~6 lines and room for all of their
# posted versions: the UPDATE stays on the page and touches no index (HOT). Applies to
# pages written from now on (each month's run writes new lines).
FORWARD = """
ALTER TABLE deductions_deductionline SET (fillfactor = 30);
"""
REVERSE = """
ALTER TABLE deductions_deductionline SET (fillfactor = 85);
"""


class Migration(migrations.Migration):
    dependencies = [("deductions", "0006_line_paid_detail")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
