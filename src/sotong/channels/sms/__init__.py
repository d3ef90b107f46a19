"""SMS: a gateway interface (Naver Cloud SENS, a test gateway), answers and notices by text message."""
