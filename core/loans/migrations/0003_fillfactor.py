from django.db import migrations

# Rows of loans_loan, loans_instalment are updated in place every month (the payroll
# deduction posting, repayments, deposits). With full pages (fillfactor 100) every such
# UPDATE writes a new row version on another page and a new entry in every index of the
# table; leaving room on each page lets PostgreSQL keep the new version on the same page
# without touching the indexes (a HOT update) whenever no indexed column changes, which
# roughly halved those UPDATEs in bench/deductions_bench.py. Applies to pages written from
# now on (an existing table gets it as its pages are rewritten, e.g. by VACUUM FULL).
FORWARD = """
ALTER TABLE loans_loan SET (fillfactor = 80);
ALTER TABLE loans_instalment SET (fillfactor = 85);
"""
REVERSE = """
ALTER TABLE loans_loan RESET (fillfactor);
ALTER TABLE loans_instalment RESET (fillfactor);
"""


class Migration(migrations.Migration):
    dependencies = [("loans", "0002_db_rules")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
