"""Reaching people outside the app: e-mail, SMS and Zalo (ZNS) messages, recorded in an outbox and sent by jobs.

- models.py: the outbox (`OutboundMessage`), one row per (recipient, event, channel);
- contacts.py: channels, phone numbers and e-mail addresses as people type them;
- outbox.py: `Recipient`, `Notice` and `queue_notice`, what the rest of the app calls (inside its transaction);
- sending.py: the job that sends one outbox row, at most once.
"""
