"""Users, roles, argon2 password hashes and login sessions."""
