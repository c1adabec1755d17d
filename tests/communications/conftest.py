from tests.hooks import hooks, hooks_api, receiver

__all__ = ["hooks", "hooks_api", "receiver"]
