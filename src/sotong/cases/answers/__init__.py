"""Standard answers (표준답안): templates, filling them for a case, previews per channel, answering with a photo."""
