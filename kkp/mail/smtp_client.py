"""smtplib's client with fewer waits: plain addresses unparsed, the message body in one
write, and ESMTP PIPELINING (RFC 2920), across messages too (`kkp_defer`).

With PIPELINING (advertised by Postfix and most relays) `MAIL FROM`, every `RCPT TO`
and `DATA` go to the server in one write and their answers are read together: a
message costs two writes and two round trips (the commands, the body) instead of four.
smtplib does not pipeline, so :meth:`_FastSMTP.sendmail` writes the commands itself on
smtplib's socket and reads the replies with smtplib's `getreply`. A server without
PIPELINING, or addresses that need SMTPUTF8, take smtplib's own path (one command at a
time), sped up by the `mail`/`rcpt`/`data` overrides below.
"""

from __future__ import annotations

import re
import smtplib

_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~@-]+")


def _plain(address: str, options) -> bool:
    """An ASCII address without SMTPUTF8: smtplib's parsing would change nothing."""
    return bool(_PLAIN_ADDRESS.fullmatch(address)) and not any(
        o.lower() == "smtputf8" for o in options
    )


def _terminated(msg: bytes) -> bytes:
    """The message with the end-of-data line: sent in the same write as the message,
    since a second small write waits for the server's delayed ACK."""
    return msg + (b".\r\n" if msg.endswith(b"\r\n") else b"\r\n.\r\n")


class _FastSMTP:
    """smtplib's `data()` doubles leading dots with a regular expression over the whole
    message (a sixth of a worker's CPU for 30 KB issues); `bytes.replace` does the same
    at C speed. Our messages are bytes with CRLF line ends already. `mail()` and
    `rcpt()` parse every address with the email package first; plain ASCII addresses
    need no parsing. A message whose builder guarantees that no line starts with a dot
    (`kkp_dot_safe`) is not even scanned for one.

    `kkp_handed_over` turns true once the whole message went to the server: from there
    a lost answer leaves the message in doubt (see kkp.mail.transport)."""

    kkp_dot_safe = False
    kkp_handed_over = False
    #: `kkp_defer`: after a pipelined message's data, return without waiting for the
    #: server's answer; it is read with the next message's commands (RFC 2920 lets the
    #: message content start a group), or by :meth:`kkp_settle`. One round trip per
    #: message instead of two. `kkp_awaiting`: that answer is still due;
    #: `kkp_previous`: the answer read at the start of this message, (code, text).
    kkp_defer = False
    kkp_awaiting = False
    kkp_previous: tuple[int, bytes] | None = None

    def kkp_settle(self) -> tuple[int, bytes] | None:
        """The answer to the last message's data, if it is still due."""
        if not self.kkp_awaiting:
            return None
        answer = self.getreply()
        self.kkp_awaiting = False
        return answer

    def mail(self, sender, options=()):
        if not _plain(sender, options):
            return super().mail(sender, options)
        self.putcmd("mail", " ".join((f"FROM:<{sender}>", *options)))
        return self.getreply()

    def rcpt(self, recip, options=()):
        if not _plain(recip, options):
            return super().rcpt(recip, options)
        self.putcmd("rcpt", " ".join((f"TO:<{recip}>", *options)))
        return self.getreply()

    def _body(self, msg: bytes) -> bytes:
        if not self.kkp_dot_safe:
            msg = msg.replace(b"\n.", b"\n..")
            if msg.startswith(b"."):
                msg = b"." + msg
        return _terminated(msg)

    def data(self, msg):
        if not isinstance(msg, bytes):
            return super().data(msg)
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        self.send(self._body(msg))
        self.kkp_handed_over = True
        return self.getreply()

    def sendmail(self, from_addr, to_addrs, msg, mail_options=(), rcpt_options=()):
        """smtplib's `sendmail`, pipelined when the server offers PIPELINING: the same
        answers, the same exceptions, the connection left as smtplib leaves it."""
        self.kkp_previous = None
        self.ehlo_or_helo_if_needed()
        if isinstance(to_addrs, str):
            to_addrs = [to_addrs]
        if not (
            isinstance(msg, bytes)
            and self.does_esmtp
            and self.has_extn("pipelining")
            and _plain(from_addr, mail_options)
            and all(_plain(r, rcpt_options) for r in to_addrs)
        ):
            self.kkp_previous = self.kkp_settle()
            return super().sendmail(from_addr, to_addrs, msg, mail_options, rcpt_options)
        options = list(mail_options)
        if self.has_extn("size"):
            options.append(f"SIZE={len(msg)}")
        commands = [" ".join((f"MAIL FROM:<{from_addr}>", *options))]
        commands += [" ".join((f"RCPT TO:<{r}>", *rcpt_options)) for r in to_addrs]
        commands.append("DATA")
        self.send("".join(c + "\r\n" for c in commands))  # one write for the group
        self.kkp_previous = self.kkp_settle()  # the last message's answer comes first
        mail_code, mail_reply = self.getreply()
        refused = {}
        closing = mail_code == 421
        for recipient in to_addrs:
            code, reply = self.getreply()
            if code not in (250, 251):
                refused[recipient] = (code, reply)
                closing = closing or code == 421
        data_code, data_reply = self.getreply()
        if data_code == 354 and (mail_code != 250 or len(refused) == len(to_addrs)):
            # A server that said 354 to DATA with no recipient accepted (RFC 2920,
            # 3.1): end the empty message; nobody receives it.
            self.send(b".\r\n")
            self.getreply()
        if mail_code != 250:
            self._give_up(closing)
            raise smtplib.SMTPSenderRefused(mail_code, mail_reply, from_addr)
        if len(refused) == len(to_addrs):
            self._give_up(closing)
            raise smtplib.SMTPRecipientsRefused(refused)
        if data_code != 354:
            self._give_up(data_code == 421)
            raise smtplib.SMTPDataError(data_code, data_reply)
        self.send(self._body(msg))  # the message and its end in one write
        self.kkp_handed_over = True
        if self.kkp_defer:
            self.kkp_awaiting = True
            return refused
        code, reply = self.getreply()
        if code != 250:
            self._give_up(code == 421)
            raise smtplib.SMTPDataError(code, reply)
        return refused

    def _give_up(self, closing: bool) -> None:
        """After a refusal: as smtplib, close on 421 (the server ends the session),
        else reset the transaction for the next message."""
        if closing:
            self.close()
        else:
            self._rset()


class SMTP(_FastSMTP, smtplib.SMTP):
    pass


class SMTP_SSL(_FastSMTP, smtplib.SMTP_SSL):
    pass
