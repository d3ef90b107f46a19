"""Text helpers every layer may use: Korean text (kiwipiepy), personal-data masking, fitting text to a limit."""
