"""E-mail over SMTP against a real local server (aiosmtpd): the message, STARTTLS with sign-in, smtps, refusals,
timeouts and retries."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from meeting_hub.jobs import execution
from meeting_hub.notifications.models import Channel, MessageState
from meeting_hub.notifications.sending import retry_key
from tests.notifications.conftest import ICS, queue_message, row, run_with_key
from tests.notifications.providers import SmtpServer, silent_server

FROM = "Ban Tuyên giáo Thành ủy <giaoban@chilinh.gov.vn>"


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


Configure = Callable[..., Flask]
LONG_SUBJECT = "Nhắc lịch giao ban: Giao ban tuyên giáo trực tuyến tháng 12 – 08:00 15/12/2026, 19 điểm cầu phường, xã"


def test_a_reminder_goes_out_as_multipart_mail_with_its_event_header_message_id_and_calendar(
    configure: Configure,
) -> None:
    with SmtpServer() as server:
        app = configure(SMTP_URL=f"smtp://127.0.0.1:{server.port}", MAIL_FROM=FROM)
        message_id = queue_message(app, Channel.EMAIL, "hoa@chilinh.gov.vn", ics=ICS, subject=LONG_SUBJECT)
        sent = row(app, message_id)

    assert sent.state is MessageState.SENT and sent.attempts == 1 and sent.sent_at is not None
    assert sent.provider_id == "250 2.0.0 Ok: queued as Q1"
    (received,) = server.received
    assert received.mail_from == "giaoban@chilinh.gov.vn" and received.recipients == ["hoa@chilinh.gov.vn"]
    mail = received.message
    # Folded over several encoded words with every space kept (Python's own folding lost one: "tuyêngiáo").
    assert mail["Subject"] == LONG_SUBJECT
    assert mail["X-Meeting-Hub-Event"] == "briefing.reminder"
    assert mail["Message-ID"] == f"<meeting-hub.{message_id}@chilinh.gov.vn>"
    assert mail["To"].addresses[0].display_name == "Nguyễn Thị Hoà"
    assert mail["From"].addresses[0].display_name == "Ban Tuyên giáo Thành ủy"
    assert mail.get_content_type() == "multipart/mixed"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and "08:00 ngày 15/12/2026" in text.get_content()
    assert html is not None and "<strong>08:00</strong>" in html.get_content()
    (calendar,) = list(mail.iter_attachments())
    assert calendar.get_content_type() == "text/calendar" and calendar.get_param("method") == "PUBLISH"
    assert calendar.get_filename() == "giao-ban.ics" and "BEGIN:VCALENDAR" in calendar.get_content()


def test_starttls_with_a_percent_encoded_sign_in_and_an_internal_certificate_authority(
    configure: Configure, certificate: tuple[Path, Path]
) -> None:
    users = {"giaoban@chilinh.gov.vn": "p@ss:w/rd"}
    with SmtpServer(tls_context=_server_context(certificate), users=users) as server:
        app = configure(
            SMTP_URL=f"smtp://giaoban%40chilinh.gov.vn:p%40ss%3Aw%2Frd@localhost:{server.port}",
            MAIL_FROM=FROM,
            SMTP_CA_FILE=str(certificate[0]),
        )
        sent = row(app, queue_message(app, Channel.EMAIL, "hoa@chilinh.gov.vn"))
    assert sent.state is MessageState.SENT
    (received,) = server.received
    assert received.tls and received.login == "giaoban@chilinh.gov.vn"
    assert received.message.get_content_type() == "multipart/alternative"  # no calendar: text and HTML only


def test_smtps_speaks_tls_from_the_first_byte_and_refuses_an_unknown_certificate(
    configure: Configure, certificate: tuple[Path, Path]
) -> None:
    with SmtpServer(tls_context=_server_context(certificate), implicit_tls=True) as server:
        app = configure(SMTP_URL=f"smtps://localhost:{server.port}", MAIL_FROM=FROM, SMTP_CA_FILE=str(certificate[0]))
        sent = row(app, queue_message(app, Channel.EMAIL, "hoa@chilinh.gov.vn"))
        configure(SMTP_CA_FILE=None)
        refused = row(app, queue_message(app, Channel.EMAIL, "hoa@chilinh.gov.vn"))
    assert sent.state is MessageState.SENT and server.received[0].tls
    assert len(server.received) == 1
    assert refused.state is MessageState.FAILED and refused.attempts == 1  # a certificate problem: no retry
    assert "kết nối an toàn" in (refused.last_error or "")


def test_a_refused_recipient_fails_at_once_and_a_busy_server_is_tried_again_with_the_same_message_id(
    configure: Configure,
) -> None:
    with SmtpServer() as server:
        app = configure(SMTP_URL=f"smtp://127.0.0.1:{server.port}", MAIL_FROM=FROM)
        server.behaviour.rcpt_replies = {
            "khong-co@chilinh.gov.vn": "550 5.1.1 No such user",
            "hop-thu-day@chilinh.gov.vn": "452 4.2.2 Mailbox full, try later",
        }
        refused = row(app, queue_message(app, Channel.EMAIL, "khong-co@chilinh.gov.vn"))
        busy_id = queue_message(app, Channel.EMAIL, "hop-thu-day@chilinh.gov.vn")
        waiting = row(app, busy_id)
        retry = run_with_key(app, retry_key(busy_id, 2))
        assert retry is not None
        server.behaviour.rcpt_replies = {}
        execution.execute_run(app, retry.id)  # what the worker does when the pause is over
        sent = row(app, busy_id)
        execution.execute_run(app, retry.id)  # a repeated hand-over of the same run sends nothing more

    assert refused.state is MessageState.FAILED and refused.attempts == 1
    assert "từ chối người nhận (550 5.1.1 No such user)" in (refused.last_error or "")
    assert waiting.state is MessageState.PENDING and waiting.attempts == 1
    assert "452 4.2.2 Mailbox full" in (waiting.last_error or "")
    assert waiting.next_attempt_at is not None and retry.run_after > retry.enqueued_at  # 30 s later
    assert sent.state is MessageState.SENT and sent.attempts == 2
    (received,) = server.received
    assert received.message["Message-ID"] == f"<meeting-hub.{busy_id}@chilinh.gov.vn>"


def test_a_server_that_never_answers_times_out_and_fails_after_the_last_attempt(configure: Configure) -> None:
    for port in silent_server():
        app = configure(
            SMTP_URL=f"smtp://127.0.0.1:{port}",
            MAIL_FROM=FROM,
            SMTP_TIMEOUT_SECONDS=0.3,
            NOTIFY_MAX_ATTEMPTS=2,
            NOTIFY_RETRY_DELAY_SECONDS=0,  # the next attempt runs at once (immediate queue)
        )
        failed = row(app, queue_message(app, Channel.EMAIL, "hoa@chilinh.gov.vn"))
    assert failed.state is MessageState.FAILED and failed.attempts == 2
    assert "Không kết nối được tới máy chủ thư" in (failed.last_error or "")
    assert "(đã thử 2 lần)" in (failed.last_error or "")


def test_no_reply_after_the_message_was_handed_over_leaves_it_failed_in_doubt_never_sent_twice(
    configure: Configure,
) -> None:
    with SmtpServer() as server:
        app = configure(SMTP_URL=f"smtp://127.0.0.1:{server.port}", MAIL_FROM=FROM, SMTP_TIMEOUT_SECONDS=0.3)
        server.behaviour.data_pause = 0.8
        message_id = queue_message(app, Channel.EMAIL, "hoa@chilinh.gov.vn")
        doubtful = row(app, message_id)
        assert run_with_key(app, retry_key(message_id, 2)) is None
    assert doubtful.state is MessageState.FAILED and doubtful.attempts == 1
    assert doubtful.handed_over_at is not None
    assert "không rõ thư đã được nhận chưa" in (doubtful.last_error or "")
    assert server.data_count == 1  # one DATA: the message was not offered a second time


def test_without_smtp_settings_email_messages_stay_failed_with_the_reason(configure: Configure) -> None:
    app = configure(SMTP_URL=None)
    failed = row(app, queue_message(app, Channel.EMAIL, "hoa@chilinh.gov.vn"))
    assert failed.state is MessageState.FAILED and failed.attempts == 0
    assert failed.last_error == "Chưa cấu hình kênh e-mail (MEETING_HUB_SMTP_URL): tin chưa được gửi."


def test_send_test_message_checks_a_provider_from_the_command_line(configure: Configure) -> None:
    with SmtpServer() as server:
        app = configure(SMTP_URL=f"smtp://127.0.0.1:{server.port}", MAIL_FROM=FROM)
        result = app.test_cli_runner().invoke(args=["send-test-message", "--channel", "email", "--to", "a@b.vn"])
        configure(SMTP_URL=None)
        unconfigured = app.test_cli_runner().invoke(args=["send-test-message", "--channel", "email", "--to", "a@b.vn"])
    assert result.exit_code == 0, result.output
    assert "Đã gửi tới a@b.vn qua email" in result.output
    (received,) = server.received
    assert received.message["X-Meeting-Hub-Event"] == "test.message"
    assert unconfigured.exit_code == 1 and "MEETING_HUB_SMTP_URL" in unconfigured.output
