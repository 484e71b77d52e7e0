#!/usr/bin/env python3
"""Loopback SMTP server for metarr-notify's integration tests, built on aiosmtpd.

Serve mode binds 127.0.0.1 (port 0 by default, so tests never race for a port), prints
"READY <port>" on stdout, and records each accepted message as <out>/NNNN.json: the
envelope, whether the session was encrypted, the authenticated login, and the message
parsed by Python's email package (headers decoded, MIME parts decoded). It exits when
its stdin closes, so a test process that dies without cleaning up leaves nothing behind.

Recipients at @rejected.invalid get 550 (permanent) and at @deferred.invalid get 451
(transient), so tests can exercise both SMTP failure classes.

Dump mode (--dump FILE) prints the same parsed form of one raw message file, for
messages stored by `python3 -m aiosmtpd -c aiosmtpd.handlers.Mailbox`.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import socket
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def summarize(raw: bytes) -> dict:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        parts.append(
            {
                "content_type": part.get_content_type(),
                "charset": part.get_content_charset(),
                # SMTP carries CRLF; compare bodies with plain newlines.
                "body": part.get_content().replace("\r\n", "\n"),
            }
        )
    return {
        "headers": [[name, str(value)] for name, value in message.items()],
        "from": str(message["From"]),
        "to": str(message["To"]),
        "subject": str(message["Subject"]),
        "content_type": message.get_content_type(),
        "parts": parts,
    }


class Recorder:
    def __init__(self, out_dir: str) -> None:
        self.out_dir = out_dir
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@rejected.invalid"):
            return "550 5.1.1 Mailbox unavailable"
        if address.endswith("@deferred.invalid"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        record = summarize(envelope.content)
        auth_data = session.auth_data
        record.update(
            mail_from=envelope.mail_from,
            rcpt_tos=envelope.rcpt_tos,
            # Covers both STARTTLS (transport swapped) and implicit TLS.
            tls=server.transport.get_extra_info("cipher") is not None,
            login=auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None,
        )
        self.count += 1
        path = os.path.join(self.out_dir, f"{self.count:04}.json")
        # Write then rename, so a reader never sees half a file.
        with open(path + ".tmp", "w", encoding="utf-8") as out:
            json.dump(record, out, indent=1)
        os.replace(path + ".tmp", path)
        # The client gets its 250 only after the file exists.
        return "250 2.0.0 Message accepted"


def make_authenticator(user: str, password: str):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        # handled=False: aiosmtpd then answers the failure with 535 itself.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticator


async def serve(args) -> None:
    tls_context = None
    if args.cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.cert, args.key)
    handler = Recorder(args.out)
    authenticator = make_authenticator(args.user, args.password) if args.user else None

    def factory():
        return SMTP(
            handler,
            hostname="localhost",
            tls_context=tls_context if args.starttls else None,
            authenticator=authenticator,
            auth_required=authenticator is not None,
            auth_require_tls=False,
        )

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", args.port))
    sock.listen(16)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, sock=sock, ssl=tls_context if args.implicit_tls else None)
    print(f"READY {sock.getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def exit_when_stdin_closes() -> None:
    sys.stdin.read()
    os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", help="directory for the recorded messages")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert", help="PEM certificate for STARTTLS or implicit TLS")
    parser.add_argument("--key", help="PEM private key")
    parser.add_argument("--starttls", action="store_true", help="offer STARTTLS (needs --cert/--key)")
    parser.add_argument("--implicit-tls", action="store_true", help="TLS from the first byte (needs --cert/--key)")
    parser.add_argument("--user", help="require AUTH with this user name")
    parser.add_argument("--password", help="the one accepted password")
    parser.add_argument("--dump", help="print one raw message file in parsed form and exit")
    args = parser.parse_args()

    if args.dump:
        with open(args.dump, "rb") as raw:
            json.dump(summarize(raw.read()), sys.stdout)
        return
    if not args.out:
        parser.error("--out is required to serve")
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
