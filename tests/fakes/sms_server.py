"""The fake SMS gateway: the same local server as the WhatsApp fake (tests/fakes/whatsapp_server.py)
answers Twilio's POST /2010-04-01/Accounts/<sid>/Messages.json (basic auth, form fields To, From,
Body, StatusCallback; 201 with a "sid") and posts Twilio-style delivery reports (MessageSid,
MessageStatus, ErrorCode) signed with X-Twilio-Signature to the StatusCallback URL."""

from __future__ import annotations

from tests.fakes.whatsapp_server import FakeProvider


def twilio_url(fake: FakeProvider, account_sid: str = "ACfake") -> str:
    return f"{fake.url}/2010-04-01/Accounts/{account_sid}/Messages.json"


__all__ = ["FakeProvider", "twilio_url"]
