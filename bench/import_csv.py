"""How fast a CSV import of 100,000 rows runs, and how much memory it takes.

Run by hand, not in the test suite:

    .venv/bin/python bench/import_csv.py                         # SQLite (a temp file)
    .venv/bin/python bench/import_csv.py --rows 20000 --existing update
    .venv/bin/python bench/import_csv.py --database postgresql+psycopg://postgres@127.0.0.1/test

Generates a CSV file (E-Mail;Vorname;Nachname;Organisation;Sprache, UTF-8 with BOM) with
`--rows` people, of whom `--known` per cent are subscribed already and one in a thousand
rows is broken; stores it as the wizard's upload does, starts the job with consent
evidence (no confirmation mails) and runs it in this process, as the worker would.
Prints rows per second and the peak resident memory of the process (the figure
includes the app and the generated file, so the RSS before the import is printed too).
With PostgreSQL the tables of that database are created and dropped again.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def rss_mb() -> float:
    """The resident memory now, in MB (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far, in MB (Linux: KB from getrusage)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed_known(emails: list[str], list_id: int) -> None:
    """The people subscribed before the import: confirmed, on one of the two lists."""
    from kkp.db import among, insert_rows, utcnow
    from newsletter.models import Subscriber, Subscription

    now = utcnow()
    for start in range(0, len(emails), 5000):
        chunk = emails[start : start + 5000]
        insert_rows(
            Subscriber,
            [
                {
                    "email": email,
                    "name": "Bekannt",
                    "organisation": "",
                    "status": "confirmed",
                    "source": "form",
                    "locale": "de",
                    "created_at": now,
                    "updated_at": now,
                    "confirmed_at": now,
                }
                for email in chunk
            ],
        )
        ids = among(sa.select(Subscriber.id), Subscriber.email, chunk)
        insert_rows(
            Subscription,
            [
                {
                    "subscriber_id": subscriber_id,
                    "list_id": list_id,
                    "status": "confirmed",
                    "requested_at": now,
                    "confirmed_at": now,
                }
                for (subscriber_id,) in ids
            ],
        )


def bare_insert(rows: int, batch: int) -> float:
    """The ceiling: rows per second of a bare insert of as many subscribers as the file
    has, `batch` rows per executemany and commit (removed again afterwards)."""
    from kkp.db import insert_rows, utcnow
    from kkp.extensions import db
    from newsletter.models import Subscriber

    now = utcnow()
    started = time.perf_counter()
    for start in range(0, rows, batch):
        insert_rows(
            Subscriber,
            [
                {
                    "email": f"decke{i}@kommune{i % 400}.example.org",
                    "name": f"Vorname{i} Nachname{i}",
                    "organisation": f"Präventionsrat {i % 400}",
                    "status": "confirmed",
                    "source": "import",
                    "locale": "de",
                    "created_at": now,
                    "updated_at": now,
                    "confirmed_at": now,
                }
                for i in range(start, min(start + batch, rows))
            ],
        )
        db.session.commit()
    seconds = time.perf_counter() - started
    db.session.execute(sa.delete(Subscriber).where(Subscriber.email.like("decke%")))
    db.session.commit()
    return rows / seconds


def count_statements(engine, sa) -> list[int]:
    """A counter of the statements `engine` runs from now on (an executemany is one)."""
    count = [0]

    def counted(*_args):
        count[0] += 1

    sa.event.listen(engine, "before_cursor_execute", counted)
    return count


def generate(rows: int, known_share: float) -> tuple[bytes, list[str]]:
    """The file, and the addresses in it that are subscribed before the import."""
    lines = ["E-Mail;Vorname;Nachname;Organisation;Sprache"]
    known = []
    every = int(1 / known_share) if known_share else 0
    for i in range(rows):
        if i % 1000 == 999:
            lines.append(f"kaputt-{i};Fehler;Zeile;;de")
            continue
        email = f"person{i}@kommune{i % 400}.example.org"
        if every and i % every == 0:
            known.append(email)
        language = "en" if i % 10 == 0 else "de"
        lines.append(f"{email};Vorname{i};Nachname{i};Präventionsrat {i % 400};{language}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode(), known


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--known", type=float, default=10, help="per cent already subscribed")
    parser.add_argument("--existing", default="add_lists", choices=("add_lists", "update", "skip"))
    parser.add_argument("--batch", type=int, help="KKP_IMPORT_BATCH_SIZE (default: the setting)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument(
        "--profile", type=int, metavar="N", help="cProfile the import: print the N costliest"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kkp-bench-import-"))
    os.environ.setdefault("KKP_INSTANCE_PATH", str(tmp))
    database = args.database or f"sqlite:///{tmp / 'bench.db'}"

    from flask_migrate import downgrade, upgrade

    from kkp.extensions import db
    from newsletter import importer
    from newsletter.models import ExistingPolicy, ImportJob, Subscriber
    from newsletter.operations import create_list, publish_consent_text
    from service.app import create_app

    config = {
        "SQLALCHEMY_DATABASE_URI": database,
        "KKP_BROKER_URL": args.redis,
        "KKP_BROKER_NAMESPACE": f"kkp-bench-{uuid.uuid4().hex[:6]}",
        "KKP_RATELIMIT_STORAGE_URL": "memory://",
        "KKP_LOG_LEVEL": "WARNING",
    }
    if args.batch:
        config["KKP_IMPORT_BATCH_SIZE"] = args.batch
    app = create_app(config)
    data, known = generate(args.rows, args.known / 100)
    with app.app_context():
        upgrade()
        try:
            publish_consent_text("Einwilligungstext für die Messung.")
            kompakt = create_list("KKP Kompakt", slug="kkp-kompakt")
            training = create_list("Fortbildungen", slug="fortbildungen")
            db.session.flush()
            seed_known(known, kompakt.id)
            db.session.commit()
            ceiling = [bare_insert(args.rows, app.config["KKP_IMPORT_BATCH_SIZE"])]
            job = importer.store_upload(data, filename="bench.csv", editor=None)
            importer.start_import_job(
                job,
                column_fields=["email", "first_name", "last_name", "organisation", "language"],
                existing=ExistingPolicy(args.existing),
                list_ids=[kompakt.id, training.id],
                consent_evidence="Teilnehmerliste der Messung",
            )
            db.session.commit()
            job_id = job.id
            db.session.remove()
            before = rss_mb()
            statements = count_statements(db.engine, sa)
            profile = cProfile.Profile() if args.profile else None
            started = time.perf_counter()
            if profile:
                profile.runcall(importer.run_import_job, job_id)
            else:
                importer.run_import_job(job_id)
            seconds = time.perf_counter() - started
            statements = statements[0]
            db.session.remove()
            ceiling.append(bare_insert(args.rows, app.config["KKP_IMPORT_BATCH_SIZE"]))
            done = db.session.get(ImportJob, job_id)
            count = db.session.scalar(sa.select(sa.func.count(Subscriber.id)))
            print(
                f"{args.rows:,} rows ({len(data) / 1e6:.1f} MB, {len(known):,} known, "
                f"{args.existing}) on {db.engine.dialect.name}, batch "
                f"{app.config['KKP_IMPORT_BATCH_SIZE']}: {seconds:.1f} s, "
                f"{args.rows / seconds:,.0f} rows/s, {1000 * seconds / args.rows:.2f} ms/row"
            )
            print(
                f"status {done.status}: {done.imported:,} new, {done.updated:,} updated, "
                f"{len(done.rejected):,} rejected; {count:,} subscribers in the database"
            )
            rate, best = args.rows / seconds, sum(ceiling) / len(ceiling)
            print(
                f"ceiling (a bare insert of {args.rows:,} subscribers, one commit per batch, "
                f"before and after): {ceiling[0]:,.0f} and {ceiling[1]:,.0f} rows/s; the "
                f"import runs at {rate / best:.2f} of their mean"
            )
            print(f"RSS before the import {before:.0f} MB, peak {peak_rss_mb():.0f} MB")
            batches = -(-args.rows // app.config["KKP_IMPORT_BATCH_SIZE"])
            print(f"{statements:,} SQL statements, {statements / batches:.1f} per batch")
            if profile:
                pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)
        finally:
            db.session.remove()
            if args.database:
                downgrade(revision="base")
    if not args.database:
        for path in sorted(tmp.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        tmp.rmdir()


if __name__ == "__main__":
    main()
