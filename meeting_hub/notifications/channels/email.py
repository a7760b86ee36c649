"""E-mail over SMTP: smtp://[user:password@]host[:port] (STARTTLS when the server offers it) or smtps:// (TLS).

Every message is multipart text + HTML, says what it is in `X-Meeting-Hub-Event`, carries a Message-ID made from
the outbox row (the same on every attempt) and, for a briefing, its iCalendar file (text/calendar; method=PUBLISH).
The conversation is driven step by step so that the moment the server may have the message is known exactly: the
final "." of DATA. A failure before it sent nothing; a lost reply after it leaves the message in doubt.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from urllib.parse import unquote, urlsplit

from meeting_hub.database import utcnow
from meeting_hub.notifications.channels.base import Delivery, HandingOver, Outgoing, SendFailure

#: Headers in 7-bit ASCII (RFC 2047 words for Vietnamese), bodies quoted-printable or base64: any server takes them.
_POLICY = SMTP.clone(cte_type="7bit")
_LEADING_DOT = re.compile(rb"(?m)^\.")


@dataclass(frozen=True)
class SmtpChannel:
    """The SMTP server of MEETING_HUB_SMTP_URL, sending as MEETING_HUB_MAIL_FROM."""

    implicit_tls: bool
    host: str
    port: int
    username: str | None
    password: str | None
    mail_from: str
    timeout: float
    #: A CA bundle to trust besides the system's (an internal mail server's certificate authority).
    ca_file: str | None = None
    dedupes: bool = False

    @classmethod
    def from_url(cls, url: str, *, mail_from: str, timeout: float, ca_file: str | None = None) -> SmtpChannel:
        """Return the channel for an smtp:// or smtps:// URL (user and password percent-decoded)."""
        parts = urlsplit(url)
        implicit_tls = parts.scheme == "smtps"
        return cls(
            implicit_tls=implicit_tls,
            host=parts.hostname or "localhost",
            port=parts.port or (465 if implicit_tls else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            mail_from=mail_from,
            timeout=timeout,
            ca_file=ca_file,
        )

    @property
    def sender_address(self) -> str:
        """Return the bare address of MAIL_FROM (the envelope sender)."""
        return parseaddr(self.mail_from)[1]

    def message_id(self, message: Outgoing) -> str:
        """Return the Message-ID of a message: the same for every attempt of one outbox row."""
        domain = self.sender_address.rpartition("@")[2] or "meeting-hub.invalid"
        return f"<meeting-hub.{message.reference}@{domain}>"

    def build(self, message: Outgoing) -> EmailMessage:
        """Return the e-mail for an outgoing message."""
        email = EmailMessage(policy=_POLICY)
        email.set_raw("Subject", _encoded_words("Subject", message.subject))
        email["From"] = self.mail_from
        try:
            email["To"] = Address(display_name=message.recipient_name, addr_spec=message.address)
        except (ValueError, IndexError) as error:
            raise SendFailure(f"Địa chỉ e-mail không hợp lệ: {message.address} ({error})", permanent=True) from None
        email["Date"] = format_datetime(utcnow())
        email["Message-ID"] = self.message_id(message)
        email["X-Meeting-Hub-Event"] = message.kind
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        if message.ics:
            email.add_attachment(message.ics, subtype="calendar", filename="giao-ban.ics", params={"method": "PUBLISH"})
        return email

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def _connect(self) -> smtplib.SMTP:
        try:
            smtp: smtplib.SMTP
            if self.implicit_tls:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                smtp.ehlo()
                if not self.implicit_tls and smtp.has_extn("starttls"):
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
            except BaseException:
                smtp.close()
                raise
        except smtplib.SMTPAuthenticationError as error:
            raise SendFailure(
                f"Máy chủ thư từ chối đăng nhập ({_said(error.smtp_code, error.smtp_error)}).", permanent=True
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            raise SendFailure(f"Máy chủ thư không cho đăng nhập: {error}", permanent=True) from None
        except ssl.SSLError as error:
            raise SendFailure(
                f"Không thiết lập được kết nối an toàn tới máy chủ thư: {error}", permanent=True
            ) from None
        except smtplib.SMTPResponseException as error:
            raise _refused("Máy chủ thư không nhận kết nối", error.smtp_code, error.smtp_error) from None
        except (OSError, smtplib.SMTPException) as error:
            raise SendFailure(f"Không kết nối được tới máy chủ thư {self.host}:{self.port} ({error}).") from None
        return smtp

    def send(self, message: Outgoing, handing_over: HandingOver) -> Delivery:
        """Hand the e-mail to the SMTP server."""
        data = self.build(message).as_bytes(policy=_POLICY)
        data = _LEADING_DOT.sub(b"..", data)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        smtp = self._connect()
        try:
            try:
                code, said = smtp.mail(self.sender_address)
                if code != 250:
                    raise _refused("Máy chủ thư từ chối người gửi", code, said)
                code, said = smtp.rcpt(message.address)
                if code not in {250, 251}:
                    raise _refused("Máy chủ thư từ chối người nhận", code, said)
                code, said = smtp.docmd("DATA")
                if code != 354:
                    raise _refused("Máy chủ thư không nhận nội dung thư", code, said)
                smtp.send(data)
            except (OSError, smtplib.SMTPException) as error:
                raise SendFailure(f"Mất kết nối với máy chủ thư trước khi gửi xong ({error}).") from None
            handing_over()
            try:
                smtp.send(b".\r\n")
                code, said = smtp.getreply()
            except (OSError, smtplib.SMTPException) as error:
                raise SendFailure(
                    f"Máy chủ thư không trả lời sau khi nhận thư ({error}); không rõ thư đã được nhận chưa.",
                    in_doubt=True,
                ) from None
            if code != 250:
                raise _refused("Máy chủ thư không nhận thư", code, said)
            return Delivery(provider_id=_said(code, said)[:200])
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()  # the message is taken or refused already: how the goodbye goes changes nothing


def _said(code: int, said: bytes | str) -> str:
    text = said.decode("utf-8", errors="replace") if isinstance(said, bytes) else str(said)
    return f"{code} {' '.join(text.split())}"


def _refused(what: str, code: int, said: bytes | str) -> SendFailure:
    """Return the failure for an SMTP reply: 4xx passes (try later), 5xx is permanent."""
    return SendFailure(f"{what} ({_said(code, said)}).", permanent=code >= 500)


def _encoded_words(name: str, text: str) -> str:
    """Return a header value as RFC 2047 encoded words on lines of at most 76 characters, every space kept inside a
    word. Python 3.11's own folding drops the space where it breaks between two encoded words, so "tuyên giáo" in a
    subject arrived as "tuyêngiáo"."""
    if text.isascii():
        return text
    return Header(text, "utf-8", header_name=name).encode(linesep="\r\n")
