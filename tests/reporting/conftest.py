from tests.showings.helpers import clock

__all__ = ["clock"]
