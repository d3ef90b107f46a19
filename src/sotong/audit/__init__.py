"""The event log every action writes; a case's timeline is read from it."""
