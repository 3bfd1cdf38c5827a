"""A data query opened on the page reaches a real SMTP server, over a socket, as Django's
SMTP backend sends it in production."""

import socketserver
import threading

import pytest
from django.test import Client
from django.urls import reverse

from registry.models import Role
from tests import factories
from tests.conftest import user_with_role
from tests.notifications import clinician_at, with_address

pytestmark = pytest.mark.django_db(transaction=True)


class SmtpSession(socketserver.StreamRequestHandler):
    """Enough of RFC 5321 for one client: greeting, EHLO, MAIL, RCPT, DATA, QUIT; each
    message received goes to the server's `received`, envelope and text."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 test mail server")
        envelope: dict = {"to": []}
        while line := self.rfile.readline().decode():
            command = line.strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 test mail server")
            elif command.startswith("MAIL FROM:"):
                envelope = {"from": line.strip()[10:], "to": []}
                self.reply("250 OK")
            elif command.startswith("RCPT TO:"):
                envelope["to"].append(line.strip()[8:].strip("<>"))
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 end with a dot")
                lines = iter(self.rfile.readline, b".\r\n")
                envelope["text"] = b"".join(lines).decode()
                self.server.received.append(envelope)
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture
def smtp_server(settings):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpSession)
    server.daemon_threads = True
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.server_address
    settings.DEFAULT_FROM_EMAIL = "registry@hospital.example"
    yield server
    server.shutdown()
    server.server_close()


def test_a_query_opened_on_the_page_reaches_the_smtp_server(smtp_server):
    site = factories.SiteFactory()
    clinician_at("boren", site)
    monitor = with_address(user_with_role("monitor", Role.MONITOR, site))
    patient = factories.PatientFactory(site=site, subject_id="P042")
    client = Client()
    client.force_login(monitor)

    response = client.post(
        reverse("web:query-open", args=[patient.pk]), {"field": "sex", "question": "Sure?"}
    )

    assert response.status_code == 302
    (received,) = smtp_server.received
    assert received["to"] == ["boren@hospital.example"]
    assert "registry@hospital.example" in received["from"]
    assert "Subject: [Registry] HCD19: data query on patient P042" in received["text"]
    assert "It is about: Patient: sex (sex)" in received["text"]
