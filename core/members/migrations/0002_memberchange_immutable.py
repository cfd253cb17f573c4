from django.db import migrations

SQL = """
CREATE TRIGGER members_memberchange_immutable BEFORE UPDATE OR DELETE ON members_memberchange
  FOR EACH ROW EXECUTE FUNCTION lumbung_forbid_change();
"""
REVERSE = "DROP TRIGGER IF EXISTS members_memberchange_immutable ON members_memberchange;"


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial"), ("audit", "0002_immutable")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
