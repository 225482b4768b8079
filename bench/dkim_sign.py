"""What DKIM costs per message, and where: dkimpy beside our signer (kkp/mail/dkim.py).

Run by hand, not in the test suite:

    .venv/bin/python bench/dkim_sign.py                      # 2,000 messages
    .venv/bin/python bench/dkim_sign.py --messages 5000 --threads 8
    git show main:kkp/mail/dkim.py > /tmp/dkim_before.py
    .venv/bin/python bench/dkim_sign.py --compare /tmp/dkim_before.py

Builds the issue of `send_issue.py` (ten articles of German text, about 30 KB per
message) in a temporary SQLite instance and N recipients' messages the way the chunk
sender does (`PreparedIssue.message` with each recipient's own links, so every body
differs), then signs them all, one signer after the other: dkimpy (relaxed/relaxed,
the same header list), `--compare` (another version of kkp/mail/dkim.py, loaded from a
file), and ours with RSA-2048 alone and with Ed25519 beside it (two signatures).

Times are CPU time of this process (`time.process_time`), which a busy machine
disturbs far less than wall time. Per message it prints the whole signing, the
signatures alone (the private-key operation on a canonical header block of the same
size, per key), reading the key where the signer does it per message (dkimpy), and
the rest: canonicalisation, hashing and putting the message together. `--threads T`
signs the same messages once more from T threads at once, as a worker's threads do.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from send_issue import FIRST_NAMES, LAST_NAMES, PARAGRAPHS, TITLES, article_body  # noqa: E402

SELECTOR, ED_SELECTOR, DOMAIN = "bench", "bench-ed", "kkp.example.org"
ARTICLE_CHARS = 120  # ten articles of this length make a message of about 30 KB


ROUNDS = 3


def cpu(fn, items) -> float:
    """CPU seconds of `fn` over `items`, per item: the best of ROUNDS rounds, as other
    processes on the machine only ever add to it (caches, shared cores)."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for item in items:
            fn(item)
        best = min(best, time.process_time() - started)
    return best / len(items)


def threaded_cpu(fn, items, threads: int) -> float:
    """The same from `threads` threads at once, per item (the items shared out)."""
    parts = [items[i::threads] for i in range(threads)]
    workers = [threading.Thread(target=lambda p=p: [fn(m) for m in p]) for p in parts]
    started = time.process_time()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return (time.process_time() - started) / len(items)


def keys(folder: Path) -> tuple[bytes, bytes]:
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        ser.Encoding.PEM, ser.PrivateFormat.TraditionalOpenSSL, ser.NoEncryption()
    )
    ed_pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption()
    )
    (folder / "dkim.pem").write_bytes(pem)
    return pem, ed_pem


def messages(count: int) -> list[bytes]:
    """`count` recipients' messages of one issue, built as the chunk sender builds them."""
    from flask_migrate import upgrade

    from kkp.extensions import db
    from newsletter import issues
    from newsletter.operations import create_list
    from newsletter.render import PreparedIssue, list_id_header, render_issue
    from newsletter.render import sender as sender_of
    from newsletter.sending.messages import mail_domain, recipient_for
    from newsletter.settings import office_settings

    upgrade()
    target = create_list("KKP Kompakt", slug="kkp-kompakt")
    issue = issues.create_issue(
        number="3/2026",
        title="Prävention vor Ort: Sicherheit im Quartier",
        intro=PARAGRAPHS[0],
        list_ids=[target.id],
    )
    for k in range(10):
        issues.add_article(
            issue,
            title=TITLES[k],
            body=article_body(k, ARTICLE_CHARS),
            links=f"Mehr dazu | https://example.org/mehr/{k}",
        )
    db.session.flush()
    settings = office_settings()
    prepared = PreparedIssue(
        render_issue(issue, settings, "de"),
        sender=sender_of(settings),
        list_id=list_id_header(issue, mail_domain(), settings["newsletter_name"]),
    )

    class Person:
        locale = "de"

    out = []
    for i in range(count):
        person = Person()
        person.id = i + 1
        person.email = f"person{i:06d}@example.org"
        person.name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[i % len(LAST_NAMES)]}"
        message_id = f"<{i + 1}.{issue.id}.1796342400@{mail_domain()}>"
        out.append(prepared.message(recipient_for(person, [target.id], message_id)))
    db.session.rollback()
    return out


class DkimpyTimes:
    """dkimpy signing, with its key parsing and RSA timed apart (wrapped where it calls them)."""

    def __init__(self, pem: bytes, headers: list[bytes]):
        import dkim

        self.dkim, self.pem, self.headers = dkim, pem, headers
        self.parse = self.rsa = 0.0
        for name, slot in (
            ("parse_pem_private_key", "parse"),
            ("RSASSA_PKCS1_v1_5_sign", "rsa"),
        ):
            setattr(dkim, name, self._timed(getattr(dkim, name), slot))

    def _timed(self, fn, slot):
        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                setattr(self, slot, getattr(self, slot) + time.process_time() - started)

        return timed

    def sign(self, message: bytes) -> bytes:
        header = self.dkim.sign(
            message,
            SELECTOR.encode(),
            DOMAIN.encode(),
            self.pem,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=self.headers,
        )
        return header + message


def row(name: str, total: float, signature: float, key: float = 0.0) -> None:
    rest = total - signature - key
    print(
        f"{name:<34} {total * 1e3:8.3f} {signature * 1e3:10.3f} {key * 1e3:8.3f} {rest * 1e3:8.3f}"
    )


def main() -> None:
    global ROUNDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--dkimpy", type=int, default=200, help="messages for dkimpy (slow)")
    parser.add_argument("--threads", type=int, default=0, help="also sign from T threads")
    parser.add_argument("--compare", type=Path, help="another kkp/mail/dkim.py to time")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="the best of R rounds")
    args = parser.parse_args()
    ROUNDS = args.rounds
    tmp = Path(tempfile.mkdtemp(prefix="kkp-bench-dkim-"))
    os.environ.setdefault("KKP_INSTANCE_PATH", str(tmp))

    from kkp.mail import dkim as ours
    from service.app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
            "KKP_BROKER_URL": "redis://127.0.0.1:6379/15",
            "KKP_BROKER_NAMESPACE": f"kkp-bench-{uuid.uuid4().hex[:6]}",
            "KKP_RATELIMIT_STORAGE_URL": "memory://",
            "KKP_BASE_URL": "https://kkp.example.org",
            "KKP_MAIL_FROM": "KKP Kompakt <newsletter@kkp.example.org>",
            "KKP_LOG_LEVEL": "WARNING",
        }
    )
    with app.app_context():
        mails = messages(args.messages)
    pem, ed_pem = keys(tmp)
    size = sum(map(len, mails)) / len(mails)
    print(f"{len(mails):,} messages of {size / 1000:.1f} KB on average; load {os.getloadavg()}")
    print(
        f"{'ms of CPU per message':<34} {'total':>8} {'signature':>10} {'key read':>8} {'rest':>8}"
    )

    rsa_signer = ours.Signer(SELECTOR, DOMAIN, pem)
    both = ours.Signer(SELECTOR, DOMAIN, pem, ed25519_selector=ED_SELECTOR, ed25519_key=ed_pem)
    # the private-key operations alone, on a header block as large as the signers sign
    sample = both.sign(mails[0])
    block = sample[: sample.index(b"\r\n\r\n")][-700:]
    rsa_alone = cpu(rsa_signer.keys[0].sign, [block] * len(mails))
    ed_alone = cpu(both.keys[1].sign, [block] * len(mails))

    names = [h for h in ours.SIGNED_HEADERS if h + b":" in mails[0].lower()] + [b"from"]
    slow = DkimpyTimes(pem, names)
    few = mails[: args.dkimpy]
    total = cpu(slow.sign, few)  # its parts summed over the rounds
    row("dkimpy, rsa-sha256", total, slow.rsa / len(few) / ROUNDS, slow.parse / len(few) / ROUNDS)

    if args.compare:
        spec = importlib.util.spec_from_file_location("dkim_compared", args.compare)
        other = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(other)
        before = other.Signer(SELECTOR, DOMAIN, pem)
        row(f"{args.compare.name}, rsa-sha256", cpu(before.sign, mails), rsa_alone)
    row("ours, rsa-sha256", cpu(rsa_signer.sign, mails), rsa_alone)
    row("ours, rsa-sha256 + ed25519-sha256", cpu(both.sign, mails), rsa_alone + ed_alone)
    print(f"{'  of which Ed25519 signature':<34} {'':8} {ed_alone * 1e3:10.3f}")

    heads = [m.partition(b"\r\n\r\n") for m in mails]
    body = cpu(lambda h: ours.hashlib.sha256(ours.relaxed_body(h[2])).digest(), heads)
    simple = cpu(lambda h: ours.hashlib.sha256(h[2]).digest(), heads)
    fields = cpu(lambda h: ours.canonical_headers(ours._fields(h[0]), names), heads)
    print(
        f"  ours in parts: body relaxed + SHA-256 {body * 1e3:.3f} (SHA-256 alone "
        f"{simple * 1e3:.3f}), header fields parsed + relaxed {fields * 1e3:.3f}"
    )
    if args.threads:  # does OpenSSL cost more CPU when a worker's threads share the key?
        t = args.threads
        for name, signer in (("rsa", rsa_signer), ("rsa + ed25519", both)):
            one, spread = cpu(signer.sign, mails), threaded_cpu(signer.sign, mails, t)
            print(f"  {name}: one thread {one * 1e3:.3f}, {t} threads {spread * 1e3:.3f}")
        spread = threaded_cpu(rsa_signer.keys[0].sign, [block] * len(mails), t)
        print(f"  RSA signature alone: {t} threads {spread * 1e3:.3f}")
    print(f"load {os.getloadavg()}")


if __name__ == "__main__":
    main()
