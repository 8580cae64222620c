"""Notices: targets, the outbox rows a notice becomes, and delivery decisions."""
