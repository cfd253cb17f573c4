"""Server connections for work that runs DDL (cloning a schema, provisioning).

PostgreSQL keeps, in each server process, catalogue caches for every relation the process
has touched. A worker's connection that has served the daily per-cooperative tasks may
have touched every cooperative's schema; each DDL statement then pays for invalidating
those caches. Measured with 1,000 cooperatives (docs/scaling.md): the 648-statement clone
script took 3-4 s on a connection that had touched 250 schemas and 0.26 s on a new one.
So provisioning and spare-schema cloning start on a new server connection.
"""

from __future__ import annotations

import logging

from django.db import DEFAULT_DB_ALIAS, connections

log = logging.getLogger(__name__)


def connection_renew(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Close the connection ``using`` so that the next query opens a new server
    connection. Does nothing (returns False) inside a transaction, where closing would
    lose the caller's work, or when no connection is open."""
    conn = connections[using]
    if conn.in_atomic_block or conn.connection is None:
        return False
    conn.close()
    return True
