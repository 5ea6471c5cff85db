"""A real SMTP server for raqib's e-mail tests: Debian's python3-aiosmtpd, on a port the OS picks.

Run by test/helpers/smtp.ts with Debian's /usr/bin/python3 (the one python3-aiosmtpd installs into):

    python3 smtp-server.py [--port N] [--tls none|starttls|implicit --cert FILE --key FILE]
                           [--auth USER:PASSWORD]

aiosmtpd's own command line (python3 -m aiosmtpd) has STARTTLS and SMTPS but no AUTH and does not
say which port it took, hence this script. It writes one JSON line to stdout per event:

    {"event": "listening", "port": N}
    {"event": "message", "mail_from": ..., "rcpt_tos": [...], "data": BASE64 of the message as
     received, "login": USER or null, "tls": true|false, "headers": {name: decoded value},
     "parts": [{"content_type", "charset", "transfer_encoding", "content": decoded text}]}

The decoded headers and parts come from Python's own MIME parser (email, policy.default), so the
tests read the message as a mail program would, apart from the code that wrote it.

and reads one JSON command per line on stdin:

    {"answer": "451 4.3.0 Try again later"}  answer the next DATA with this instead of 250
    {"hold": true}                            take the next message, report it, never answer it
                                              (a client killed meanwhile never learns it was sent)
"""

import argparse
import asyncio
import base64
import email
import email.policy
import json
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Handler:
    def __init__(self, implicit_tls):
        self.answers = []
        self.hold_next = False
        self.implicit_tls = implicit_tls

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        parts = [
            {
                "content_type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "transfer_encoding": part.get("Content-Transfer-Encoding"),
                "content": part.get_content(),
            }
            for part in parsed.walk()
            if not part.is_multipart()
        ]
        emit(
            {
                "event": "message",
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "data": base64.b64encode(envelope.original_content).decode("ascii"),
                "login": session.auth_data.login.decode("utf-8") if isinstance(session.auth_data, LoginPassword) else None,
                "tls": self.implicit_tls or session.ssl is not None,
                "headers": {name: str(value) for name, value in parsed.items()},
                "parts": parts,
            }
        )
        if self.hold_next:
            self.hold_next = False
            await asyncio.Event().wait()  # until the client goes away
        if self.answers:
            return self.answers.pop(0)
        return "250 2.0.0 OK queued"


def authenticator_for(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode()
        # handled=False: aiosmtpd answers a failure itself (535).
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


def read_commands(loop, handler):
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        command = json.loads(line)

        def apply(command=command):
            if "answer" in command:
                handler.answers.append(command["answer"])
            if command.get("hold"):
                handler.hold_next = True

        loop.call_soon_threadsafe(apply)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", choices=["none", "starttls", "implicit"], default="none")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--auth")
    args = parser.parse_args()

    context = None
    if args.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    handler = Handler(implicit_tls=args.tls == "implicit")
    options = {"enable_SMTPUTF8": True, "hostname": "smtp.test.invalid"}
    if args.tls == "starttls":
        options.update(tls_context=context, require_starttls=True)
    if args.auth:
        user, password = args.auth.split(":", 1)
        options.update(authenticator=authenticator_for(user, password), auth_required=True)
        # Over implicit TLS the whole session is encrypted, which aiosmtpd does not know.
        options.update(auth_require_tls=args.tls == "starttls")

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, **options),
        host="127.0.0.1",
        port=args.port,
        ssl=context if args.tls == "implicit" else None,
    )
    emit({"event": "listening", "port": server.sockets[0].getsockname()[1]})
    threading.Thread(target=read_commands, args=(loop, handler), daemon=True).start()
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
