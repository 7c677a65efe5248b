"""The core store: tables, engine/session handling and migrations."""
