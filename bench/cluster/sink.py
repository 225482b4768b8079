"""The cluster's SMTP sink: accepts every message and appends one line per recipient,
`<recipient>\t<envelope sender>\t<client address>`, to a file (written before the 250 reply, so a
message the sender counts as delivered is in the file).

    python -m bench.cluster.sink ADDRESS PORT FILE
"""

from __future__ import annotations

import asyncio
import os
import sys

from aiosmtpd.smtp import SMTP


class Recorder:
    def __init__(self, path: str):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        peer = session.peer[0] if session.peer else "?"
        lines = "".join(f"{r}\t{envelope.mail_from}\t{peer}\n" for r in envelope.rcpt_tos)
        os.write(self.fd, lines.encode())
        return "250 OK"


async def serve(address: str, port: int, path: str) -> None:
    handler = Recorder(path)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.kkp.test", data_size_limit=None), address, port
    )
    async with server:
        await server.serve_forever()


def main() -> None:
    if len(sys.argv) != 4 or sys.argv[1] in ("-h", "--help"):
        print("usage: python -m bench.cluster.sink ADDRESS PORT FILE")
        sys.exit(0 if len(sys.argv) > 1 else 2)
    asyncio.run(serve(sys.argv[1], int(sys.argv[2]), sys.argv[3]))


if __name__ == "__main__":
    main()
