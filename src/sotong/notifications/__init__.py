"""In-app notifications for staff (new assignment, due soon, overdue, delivery failures)."""
