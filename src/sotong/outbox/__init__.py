"""Durable outbound work (receipts, answers, notifications): queued in the transaction that causes it, delivered
once by the worker's delivery protocol (delivery.py) through the transport of its name."""
