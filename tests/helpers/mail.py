"""Mail sent by any process of a test run, read back from the directory of
Django's file-based e-mail backend (``EMAIL_FILE_PATH``), which the test,
the live server's thread and the session's Celery worker share."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

# Django's file backend separates the messages of one file with this line.
_SEPARATOR = re.compile(rb"\r?\n-{79}\r?\n")


@dataclass(frozen=True)
class SentMail:
    to: list[str]
    subject: str
    body: str

    def links(self) -> list[str]:
        return re.findall(r"https?://[^\s<>\"]+", self.body)


class MailDirectory:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    def clear(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True, exist_ok=True)

    def messages(self) -> list[SentMail]:
        """Every message sent so far, oldest file first."""
        found = []
        if not self.path.exists():
            return found
        for file in sorted(self.path.glob("*.log"), key=lambda f: f.stat().st_mtime):
            for raw in _SEPARATOR.split(file.read_bytes()):
                if not raw.strip():
                    continue
                message = email.message_from_bytes(raw, policy=email.policy.default)
                part = message.get_body(preferencelist=("plain",))
                found.append(
                    SentMail(
                        to=[a.strip() for a in str(message["To"] or "").split(",")],
                        subject=str(message["Subject"] or ""),
                        body=part.get_content() if part is not None else "",
                    )
                )
        return found

    def wait_for(
        self, *, to: str, subject: str = "", timeout: float = 20.0
    ) -> SentMail:
        """The first message to ``to`` whose subject contains ``subject``,
        waiting until it is written (a worker may still be sending it)."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.messages():
                if to in message.to and subject in message.subject:
                    return message
            if time.monotonic() > deadline:
                sent = [(m.to, m.subject) for m in self.messages()]
                raise AssertionError(f"no mail to {to} about {subject!r}; sent: {sent}")
            time.sleep(0.05)
