"""How fast the editors' subscriber pages answer at 100,000 subscribers.

Run by hand, not in the test suite:

    .venv/bin/python bench/subscriber_pages.py                      # SQLite (a temp file)
    .venv/bin/python bench/subscriber_pages.py --database postgresql+psycopg://postgres@127.0.0.1/test

With PostgreSQL the tables of that database are created and dropped again. Prints
the median and the slowest of REPEAT requests per page, through the Flask test client
(no network), beside `/healthz` as the floor of what any request costs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPEAT = 15


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kkp-bench-"))
    os.environ.setdefault("KKP_INSTANCE_PATH", str(tmp))
    database = args.database or f"sqlite:///{tmp / 'bench.db'}"

    from flask_migrate import downgrade, upgrade

    from kkp.auth.operations import create_editor
    from kkp.extensions import db
    from newsletter.operations import create_list, publish_consent_text
    from service.app import create_app
    from tests.helpers import post_form
    from tests.newsletter.test_admin_scale import seed

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "KKP_BROKER_URL": args.redis,
            "KKP_BROKER_NAMESPACE": f"kkp-bench-{uuid.uuid4().hex[:6]}",
            "KKP_RATELIMIT_STORAGE_URL": "memory://",
            "KKP_LOG_LEVEL": "WARNING",
        }
    )
    with app.app_context():
        upgrade()
        try:
            publish_consent_text("Einwilligungstext für die Messung.")
            lists = {
                m.slug: m.id
                for m in (
                    create_list("KKP Kompakt", slug="kkp-kompakt"),
                    create_list("Fortbildungen", slug="fortbildungen"),
                )
            }
            create_editor("bench@kkp.test", role="admin", password="bench-passwort-123")
            db.session.commit()
            started = time.perf_counter()
            seed(lists, args.subscribers)
            print(
                f"seeded {args.subscribers:,} subscribers in "
                f"{time.perf_counter() - started:.1f} s ({db.engine.dialect.name})"
            )

            client = app.test_client()
            post_form(
                client,
                "/admin/login",
                {"email": "bench@kkp.test", "password": "bench-passwort-123"},
            )
            pages = {
                "/healthz (floor)": "/healthz",
                "first page": "/admin/subscribers",
                "a middle page": f"/admin/subscribers?before={args.subscribers // 2}",
                "last page": "/admin/subscribers?after=0",
                "list filter": f"/admin/subscribers?list={lists['fortbildungen']}",
                "list + status, last page": (
                    f"/admin/subscribers?list={lists['fortbildungen']}&status=pending&after=0"
                ),
                "search, 100 hits": "/admin/subscribers?q=%C3%B6rtelsburg",
                "search, no hit": "/admin/subscribers?q=niemand",
                "one subscriber": f"/admin/subscribers/{args.subscribers // 3}",
            }
            print(f"{'page':28} {'median':>9} {'slowest':>9}")
            for name, url in pages.items():
                times = []
                for _ in range(REPEAT):
                    t = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - t) * 1000)
                    assert response.status_code == 200, (url, response.status_code)
                print(f"{name:28} {statistics.median(times):7.1f}ms {max(times):7.1f}ms")
        finally:
            db.session.remove()
            if db.engine.dialect.name == "postgresql":
                downgrade(revision="base")


if __name__ == "__main__":
    main()
