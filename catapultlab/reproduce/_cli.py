"""``catapultlab reproduce``: derive, simulate, validate and write a report (cached stages)."""

from __future__ import annotations

import click

__all__ = ["COMMANDS", "reproduce"]


@click.command("reproduce")
@click.option("--quick", is_flag=True, help="Small configuration (about a minute on 2 CPU cores).")
@click.option("--full", is_flag=True, help="GPU-scale configuration (hours on a CPU).")
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Output directory."
)
@click.option(
    "--force", is_flag=True, help="Rerun every stage even when its cached result matches."
)
def reproduce(quick: bool, full: bool, out: str, force: bool) -> None:
    """Run the whole study into OUT: theory, uv simulations, real networks, report.

    Without --quick/--full the default configuration runs (under 10 minutes on a
    2-core CPU). Finished stages are reused on a rerun unless --force.
    """
    from catapultlab import CatapultError
    from catapultlab.reproduce._pipeline import reproduce as run

    if quick and full:
        raise CatapultError("--quick and --full conflict; give at most one")
    size = "quick" if quick else "full" if full else "default"
    run(out, preset_name=size, force=force, echo=click.echo)


COMMANDS = (reproduce,)
