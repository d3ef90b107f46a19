"""Call-centre (120 다산콜) and counter complaints imported from CSV or Excel exports."""
