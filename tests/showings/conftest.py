from tests.hooks import hooks, hooks_api, receiver
from tests.showings.helpers import clock

__all__ = ["clock", "hooks", "hooks_api", "receiver"]
