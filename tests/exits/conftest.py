"""The exit settlement settles savings and loans: it uses the savings fixtures."""

from tests.savings.conftest import member_a, products, teller  # noqa: F401
