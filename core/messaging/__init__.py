"""Messaging: templates, the outbox the worker sends from, providers (WhatsApp Cloud API, SMS
gateways, manual wa.me links), delivery receipts and replies, and per-branch figures."""
