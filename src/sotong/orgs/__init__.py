"""Organisations, departments, staff users and roles, channel accounts, categories, SLA policies, calendars."""
