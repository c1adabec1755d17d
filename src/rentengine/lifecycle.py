"""How `rentengine serve` runs uvicorn and stops on SIGTERM.

On SIGTERM (or SIGINT) every API process stops accepting connections, marks itself draining
(`/readyz` answers 503), lets the requests in flight finish for up to
`RENTENGINE_SHUTDOWN_GRACE_SECONDS` (then cancels them), stops its delivery worker, and the command
exits with status 0: a stop that was asked for is not a failure.

Two things differ from `uvicorn.run`:

- One process: uvicorn raises the stop signal again once it has shut down, which would end the
  process "killed by SIGTERM" (status 143), or with a KeyboardInterrupt after SIGINT. The handler
  below, in place while uvicorn's is not, turns that second delivery into a normal return.
- `--workers N`: uvicorn's supervisor keeps its own copy of the listening socket open until it
  exits. While its children drain, new connections would then wait in the kernel's queue of a
  socket nobody accepts on, and be reset at exit; closing the supervisor's copy first makes them
  refused at once, so a balancer retries them on another node.
"""

import signal
from types import FrameType

from uvicorn import Config, Server
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess


def run_server(config: Config) -> None:
    """Serves until a stop signal, drains, and returns (raises SystemExit only on a failed start)."""
    if config.workers > 1:
        _Supervisor(config, sockets=[config.bind_socket()]).run()
        return
    server = Server(config)

    def after_uvicorn(_signum: int, _frame: FrameType | None) -> None:
        if not server.should_exit:
            raise SystemExit(0)  # stopped before uvicorn took over its signals: nothing to drain

    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, after_uvicorn)
    server.run()
    if not server.started:
        raise SystemExit(STARTUP_FAILURE)


class _Supervisor(Multiprocess):
    """uvicorn's supervisor of `--workers N` processes, closing its listening socket when it stops."""

    def terminate_all(self) -> None:
        for sock in self.sockets:
            sock.close()
        super().terminate_all()
