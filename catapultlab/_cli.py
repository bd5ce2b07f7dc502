"""The ``catapultlab`` command line: one group, subcommands registered by each layer."""

from __future__ import annotations

import sys
import traceback

import click

from catapultlab import CatapultError

__all__ = ["cli", "main"]


_DEBUG = {"on": False}
"""Set by ``--debug``: unexpected errors print their traceback."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="catapultlab")
@click.option("--debug", is_flag=True, help="Print the full traceback of an unexpected error.")
def cli(debug: bool) -> None:
    """Derive, simulate and validate the catapult phase of gradient descent."""
    from catapultlab.checks import check_numba_threads, memory_limit

    _DEBUG["on"] = debug
    check_numba_threads()
    memory_limit()  # a bad $CATAPULTLAB_MEMORY_LIMIT is one line before any command runs
    from catapultlab.theory import derive_budget_s

    derive_budget_s()  # likewise $CATAPULTLAB_DERIVE_BUDGET


def _register() -> None:
    from catapultlab import reproduce, sim, validate

    for layer in (sim, validate, reproduce):
        for command in layer.COMMANDS:
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input becomes one line on stderr and exit status 2.

    Bad input is refused up front by the validators (:mod:`catapultlab.checks`); any
    other exception is a defect: as a last resort it is reported on one line (exit
    status 1), with its traceback under ``catapultlab --debug``.
    """
    _DEBUG["on"] = False
    try:
        status = cli.main(args=argv, prog_name="catapultlab", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("catapultlab: error: aborted", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"catapultlab: error: {exc.format_message()}", err=True)
        return 2
    except CatapultError as exc:
        click.echo(f"catapultlab: error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        click.echo("catapultlab: error: interrupted", err=True)
        return 130
    except Exception as exc:  # noqa: BLE001 - last resort; the traceback is kept for --debug
        if _DEBUG["on"]:
            traceback.print_exc()
        message = " ".join(str(exc).split())
        message = message if len(message) <= 300 else message[:297] + "..."
        click.echo(
            f"catapultlab: internal error: {type(exc).__name__}: {message} "
            "(a bug: rerun with catapultlab --debug ... for the traceback)",
            err=True,
        )
        return 1
    # without standalone mode click returns a command's ``ctx.exit(code)`` instead of raising
    return status if isinstance(status, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
