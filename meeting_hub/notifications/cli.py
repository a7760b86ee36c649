"""`meeting-hub send-test-message`: check a provider's settings from the server, without the outbox."""

from __future__ import annotations

import uuid

import click
from flask import current_app
from flask.cli import with_appcontext

from meeting_hub.notifications.channels import Outgoing, SendFailure, channel_for, not_configured_reason
from meeting_hub.notifications.contacts import email_error, message_phone
from meeting_hub.notifications.models import Channel

#: The event kind of test messages (its X-Meeting-Hub-Event header; a ZNS template may be set for it).
TEST_KIND = "test.message"


@click.command("send-test-message")
@click.option("--channel", type=click.Choice([channel.value for channel in Channel]), required=True)
@click.option("--to", "address", required=True, help="An e-mail address, or a mobile number for SMS and Zalo.")
@with_appcontext
def send_test_message_command(channel: str, address: str) -> None:
    """Send one test message through a channel's provider and print what it answered."""
    chosen = Channel(channel)
    sender = channel_for(chosen, current_app.config)
    if sender is None:
        raise click.ClickException(not_configured_reason(chosen))
    if chosen is Channel.EMAIL:
        problem = email_error(address)
        if problem:
            raise click.ClickException(problem)
        to = address
    else:
        phone = message_phone(address)
        if phone is None:
            raise click.ClickException(f"Số điện thoại di động không hợp lệ: {address}")
        to = phone
    message = Outgoing(
        reference=f"test-{uuid.uuid4().hex[:16]}",
        kind=TEST_KIND,
        address=to,
        recipient_name="Người nhận thử",
        subject="Meeting Hub: tin nhắn thử",
        text="Đây là tin nhắn thử của Meeting Hub: kênh gửi tin đã được cấu hình đúng.",
        html="<p>Đây là tin nhắn thử của <strong>Meeting Hub</strong>: kênh gửi tin đã được cấu hình đúng.</p>",
        zalo_params={"message": "Tin nhắn thử của Meeting Hub"},
    )
    try:
        delivery = sender.send(message, lambda: None)
    except SendFailure as failure:
        kind = "lỗi lâu dài" if failure.permanent else "lỗi tạm thời"
        raise click.ClickException(f"Không gửi được ({kind}): {failure.reason}") from None
    click.echo(f"Đã gửi tới {to} qua {chosen.value}. Nhà cung cấp trả lời: {delivery.provider_id or '(không có mã)'}")
