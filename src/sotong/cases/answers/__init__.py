"""Standard answers (표준답안): templates and filling them for a case (answering is cases/actions/answer.py)."""
