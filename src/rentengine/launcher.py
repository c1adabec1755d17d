"""The `rentengine` command: the CLI, loaded with the collector paused (`kit.startup.loading`)."""

from rentengine.kit.startup import loading


def main() -> None:
    with loading():
        from rentengine.cli import main as cli
    cli()
