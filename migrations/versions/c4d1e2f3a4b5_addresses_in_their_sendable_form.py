"""Stored addresses in the form the address policy gives them: lower case, the domain
as its A-label (bücher.de becomes xn--bcher-kva.de).

Only where that form is not taken by another row already (then both stay, and the
editors' list of addresses that break the policy shows them). Addresses the policy
refuses (a local part beyond ASCII without SMTPUTF8, one too long) are left as they
are: `kkp check-addresses` and `/admin/subscribers/addresses` list them.

Revision ID: c4d1e2f3a4b5
Revises: 89047f8a9412
Create Date: 2026-12-03 08:00:00
"""

import idna
import sqlalchemy as sa
from alembic import op

revision = "c4d1e2f3a4b5"
down_revision = "89047f8a9412"
branch_labels = None
depends_on = None

#: table, the columns that make an address unique in it
TABLES = {
    "subscriber": (),
    "editor": (),
    "registration": ("event_id",),
    "event": None,  # organiser addresses: not unique
}


def _normal(address: str) -> str:
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return address
    try:
        # IDNA 2008, as the address policy (email-validator): straße.de → xn--strae-oqa.de
        domain = idna.encode(domain, uts46=True).decode("ascii")
    except UnicodeError:
        return address
    return f"{local.lower()}@{domain}"


def upgrade():
    conn = op.get_bind()
    for table, scope in TABLES.items():
        column = "organizer_email" if table == "event" else "email"
        rows = conn.execute(
            sa.text(f"SELECT id, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608
        ).all()
        for row_id, address in rows:
            normal = _normal(address)
            if normal == address:
                continue
            if scope is not None:
                same = " AND ".join(
                    [f"{column} = :normal", *(f"{c} = (SELECT {c} FROM {table} WHERE id = :id)"
                                              for c in scope)]
                )  # fmt: skip
                taken = conn.execute(
                    sa.text(f"SELECT 1 FROM {table} WHERE {same}"),  # noqa: S608
                    {"normal": normal, "id": row_id},
                ).first()
                if taken:
                    continue
            conn.execute(
                sa.text(f"UPDATE {table} SET {column} = :normal WHERE id = :id"),  # noqa: S608
                {"normal": normal, "id": row_id},
            )


def downgrade():
    pass  # the A-label form is the same address
