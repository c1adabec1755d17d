"""Mock mode (API.md §20): the documented examples, validated requests, no state."""

from rentengine.mock.app import create_mock_app, mock_settings

__all__ = ["create_mock_app", "mock_settings"]
