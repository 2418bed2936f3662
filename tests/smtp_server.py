"""A real SMTP server for the email tests (aiosmtpd).

Each accepted message is printed between marker lines, after a line saying
how Python's own MIME parser read it. Recipients whose address starts with
"busy" are refused once with a 451 (try again later); those starting with
"nobody" always get a 550.
"""

import email
import email.policy
import sys
import time

from aiosmtpd.controller import Controller

refused_once = set()


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("busy") and address not in refused_once:
            refused_once.add(address)
            return "451 4.3.0 Mailbox busy, try again later"
        if address.startswith("nobody"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = [p.get_content_type() for p in message.walk() if not p.is_multipart()]
        defects = sum(len(p.defects) for p in message.walk())
        print("---------- MESSAGE FOLLOWS ----------")
        print(f"X-Mime-Check: {message.get_content_type()} {','.join(parts)} defects={defects}")
        sys.stdout.write(raw.decode("utf-8", "replace").replace("\r\n", "\n"))
        print("------------ END MESSAGE ------------", flush=True)
        return "250 Message accepted for delivery"


def main():
    port = int(sys.argv[1])
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
