"""E-mail: a mailbox polled over IMAP, answers sent over SMTP in the citizen's thread."""
