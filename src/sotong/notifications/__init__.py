"""Notifications for staff (new assignment, due soon, overdue, delivery failures): in the console, by e-mail, to
the organisation's messenger webhook."""
