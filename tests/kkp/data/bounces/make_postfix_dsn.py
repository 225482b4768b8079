"""Make `postfix_local_unknown_user.eml`: a real delivery status notification of Postfix
for a mail to a local user that does not exist.

How: a private Postfix (Debian's `postfix`, run as root; its own configuration and
queue in a temporary folder, no listener, `postfix -c DIR start`) takes a mail through
`sendmail -C DIR` with a VERP return path of ours to `nobody-here@localhost`. Its local
delivery agent finds no such user and bounces; the notification goes to the return
path's domain, which the private Postfix hands over SMTP to a sink of this script
(aiosmtpd on 127.0.0.1). The notification is stored with the return path replaced by
`{VERP}`, as the other samples have it.

Run again with `.venv/bin/python tests/kkp/data/bounces/make_postfix_dsn.py` (root,
postfix installed: `apt-get install postfix`); it takes a few seconds.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller

HERE = Path(__file__).parent
OUT = HERE / "postfix_local_unknown_user.eml"
#: a return path of the form KKP_RETURN_PATH makes; its token is a stand-in
VERP = "bounces+4711-0123456789abcdef@kkp.test"

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.stadt-beispiel.test
mydomain = stadt-beispiel.test
myorigin = $myhostname
mydestination = $myhostname, localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
alias_maps =
alias_database =
local_recipient_maps = unix:passwd.byname
transport_maps = inline:{{kkp.test=smtp:[127.0.0.1]:{port}}}
smtp_tls_security_level = none
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
syslog_name = postfix-kkp-sample
"""

MASTER_CF = """\
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""

MESSAGE = f"""\
From: KKP Kompakt <newsletter@kkp.test>
To: nobody-here@localhost
Subject: KKP Kompakt 4/2026
Message-ID: <issue-4-2026.4711@kkp.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hallo, dies ist die Ausgabe 4/2026.
Return path: {VERP}
"""


class Sink:
    def __init__(self):
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        if VERP in envelope.rcpt_tos:
            self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    folder = Path(tempfile.mkdtemp(prefix="kkp-postfix-"))
    folder.chmod(0o755)
    for sub in ("queue", "data"):
        (folder / sub).mkdir()
    (folder / "main.cf").write_text(MAIN_CF.format(dir=folder, port=port))
    (folder / "master.cf").write_text(MASTER_CF)
    postfix = ["postfix", "-c", str(folder)]
    try:
        subprocess.run([*postfix, "set-permissions"], check=False, capture_output=True)
        subprocess.run([*postfix, "start"], check=True)
        subprocess.run(
            ["sendmail", "-C", str(folder), "-f", VERP, "nobody-here@localhost"],
            input=MESSAGE.encode(),
            check=True,
        )
        deadline = time.monotonic() + 30
        while not sink.messages and time.monotonic() < deadline:
            time.sleep(0.1)
        if not sink.messages:
            log = folder / "maillog"
            raise SystemExit(f"no notification came back:\n{log.read_text()[-3000:]}")
        raw = sink.messages[0].replace(b"\r\n", b"\n").replace(VERP.encode(), b"{VERP}")
        OUT.write_bytes(raw)
        print(f"written: {OUT}")
    finally:
        subprocess.run([*postfix, "stop"], check=False)
        controller.stop()
        if os.environ.get("KEEP") != "1":
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
