"""rentengine: a self-hostable server for the RentEngine Public API 1.1.1."""

__version__ = "0.1.0"
API_VERSION = "1.1.1"
API_PREFIX = "/api/public/v1"
