"""The chat fixtures of the component tests, for the tests that add real servers."""

from tests.component.chat.conftest import chat_app  # noqa: F401  (a fixture, registered by import)
