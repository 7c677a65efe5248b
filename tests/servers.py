"""Real servers for the tests (Redis, PostgreSQL, Dovecot, aiosmtpd) — being written."""
