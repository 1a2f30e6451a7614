"""Notifications: notices written to the outbox and sent by e-mail."""
