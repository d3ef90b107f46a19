"""Messages and cases: their actions (intake, life cycle, the answer), standard answers, statutory deadlines,
escalation, assignment, and what citizens read about their case (wording, tracking links)."""
