"""The demo's mail server: an SMTP sink on loopback whose inbox the page shows."""

from workshop.smtp import SMTPServer

_server = None


def open_inbox():
    """Start the SMTP sink; Django's settings send mail to it (see settings.py)."""
    global _server
    _server = SMTPServer().start()
    return _server


def close_inbox():
    if _server is not None:
        _server.stop()


def messages():
    """Every message received so far, newest first, as the page shows them."""
    received = list(_server.messages) if _server is not None else []
    return [
        {
            "to": message["To"],
            "subject": message["Subject"],
            "body": message.get_body(preferencelist=("plain",)).get_content().strip(),
        }
        for message in reversed(received)
    ]
