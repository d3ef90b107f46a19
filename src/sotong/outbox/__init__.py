"""Durable outbound work (receipts, answers, notifications) and the worker loop that delivers it."""
