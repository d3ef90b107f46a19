"""The demo: 서울특별시, 송파구 and 마포구 with staff personas and a month of citizen complaints (`sotong demo`)."""
