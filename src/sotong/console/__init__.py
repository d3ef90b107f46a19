"""Staff console pages (/staff/)."""
