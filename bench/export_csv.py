"""How fast the subscriber export streams, and whether its memory stays the same.

Run by hand, not in the test suite:

    .venv/bin/python bench/export_csv.py                      # SQLite (a temp file)
    .venv/bin/python bench/export_csv.py --database postgresql+psycopg://postgres@127.0.0.1/test

Seeds subscribers (as ``tests/newsletter/test_admin_scale.py`` does) and downloads
``/admin/subscribers/export.csv`` through the Flask test client, unbuffered (the
response's pieces are counted as they come), at each size of ``--sizes`` (default
10,000 and 100,000). Beside each: the floor, a bare SELECT of the same columns and
subscriptions read row by row in the same run, and the peak resident memory of the
download alone (the kernel's high-water mark is reset before it through
/proc/self/clear_refs): constant memory means about the same peak at every size.
With PostgreSQL the tables of that database are created and dropped again.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def reset_peak() -> bool:
    """Reset the process's peak RSS (Linux, ``echo 5 > /proc/self/clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def peak_mb() -> float:
    """The process's peak resident memory since the last reset, in MB (VmHWM)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def floor(db, sa, Subscriber, Subscription) -> tuple[float, int]:
    """Seconds to read the export's rows bare: the subscribers' columns, then their
    subscriptions, streamed (no CSV, no HTTP)."""
    started = time.perf_counter()
    rows = 0
    with db.engine.connect() as connection:
        for query in (
            sa.select(
                Subscriber.id,
                Subscriber.email,
                Subscriber.name,
                Subscriber.organisation,
                Subscriber.status,
                Subscriber.created_at,
                Subscriber.confirmed_at,
            ).order_by(Subscriber.id),
            sa.select(Subscription.subscriber_id, Subscription.list_id, Subscription.status),
        ):
            result = connection.execution_options(yield_per=2000).execute(query)
            for _row in result:
                rows += 1
    return time.perf_counter() - started, rows


def download(client) -> tuple[int, int]:
    """The export through the app, piece by piece as a browser receives it: its bytes
    and lines."""
    response = client.get("/admin/subscribers/export.csv", buffered=False)
    assert response.status_code == 200, response.status_code
    size = lines = 0
    for piece in response.response:
        size += len(piece)
        lines += piece.count(b"\r\n")
    response.close()
    return size, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    parser.add_argument("--sizes", default="10000,100000", help="subscribers, ascending")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument(
        "--profile", type=int, metavar="N", help="cProfile the downloads: print the N costliest"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    tmp = Path(tempfile.mkdtemp(prefix="kkp-bench-export-"))
    os.environ.setdefault("KKP_INSTANCE_PATH", str(tmp))
    database = args.database or f"sqlite:///{tmp / 'bench.db'}"

    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from kkp.auth.operations import create_editor
    from kkp.extensions import db
    from newsletter.models import Subscriber, Subscription
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
            client = app.test_client()
            post_form(
                client,
                "/admin/login",
                {"email": "bench@kkp.test", "password": "bench-passwort-123"},
            )
            profile = cProfile.Profile() if args.profile else None
            print(
                f"{'subscribers':>11} {'export':>8} {'floor':>8} {'ratio':>6} "
                f"{'MB':>6} {'peak RSS':>9} ({db.engine.dialect.name})"
            )
            for size in sizes:
                db.session.execute(sa.delete(Subscription))
                db.session.execute(sa.delete(Subscriber))
                seed(lists, size)
                db.session.commit()
                db.session.remove()
                bare, read = floor(db, sa, Subscriber, Subscription)
                db.session.remove()
                exact = reset_peak()
                started = time.perf_counter()
                if profile:
                    profile.enable()
                size_bytes, lines = download(client)
                if profile:
                    profile.disable()
                seconds = time.perf_counter() - started
                assert lines == size + 1, (lines, size)
                peak = f"{peak_mb():7.0f} MB" if exact else "      n/a"
                print(
                    f"{size:>11,} {seconds:7.2f}s {bare:7.2f}s {seconds / bare:6.1f} "
                    f"{size_bytes / 1e6:6.1f} {peak}   (floor: {read:,} rows read bare)"
                )
            if profile:
                pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)
        finally:
            db.session.remove()
            if args.database:
                downgrade(revision="base")


if __name__ == "__main__":
    main()
