"""An SMTP server on aiosmtpd, an independent implementation, for the email
notifier's interoperability test: STARTTLS required before AUTH, AUTH PLAIN
and LOGIN for one user, each message written to OUT as N.eml with N.json
holding the envelope. Prints "ready PORT" once listening; stops when stdin
closes."""
import argparse
import json
import pathlib
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        envelope_info = {
            "from": envelope.mail_from,
            "rcpts": envelope.rcpt_tos,
            "tls": session.ssl is not None,
            "authenticated": session.authenticated,
        }
        (self.out / f"{self.count}.eml").write_bytes(envelope.original_content)
        (self.out / f"{self.count}.json").write_text(json.dumps(envelope_info))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == b"alerts" and auth_data.password == b"s3cret")
    return AuthResult(success=ok)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(a.cert, a.key)
    controller = Controller(
        Handler(pathlib.Path(a.out)), hostname="127.0.0.1", port=a.port,
        tls_context=tls, require_starttls=True, authenticator=authenticator,
        auth_require_tls=True)
    controller.start()
    print(f"ready {a.port}", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
