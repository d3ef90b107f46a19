"""Organisations, departments, staff users and roles, channel accounts, categories: the tables, their actions,
look-ups and log-in."""
