"""X (Twitter): mentions polled (or pushed by Account Activity webhooks), replies threaded to the tweet."""
