"""Qt-free domain code: MIME, addresses, HTML sanitizing, demo data."""
