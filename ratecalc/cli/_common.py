"""What every command shares: consoles, the tariff option, and the one-line error contract.

Bad input never shows a traceback: it prints one line naming the field and exits with code 2. Neither
does a bug: it prints one "internal error" line (exit 2; RATECALC_DEBUG=1 shows the traceback).
"""

from __future__ import annotations

import gc
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, List, Optional, Union

import typer

from ..errors import InputError, RatecalcError, TariffError

if TYPE_CHECKING:
    from rich.console import Console

    from ..pricing.tariffset import TariffSet
    from ._plainout import PlainConsole


class _Consoles:
    """Consoles made per call, so COLUMNS and redirection are read when a command runs, not at import
    (and rich's console is imported only by a command that prints through it)."""

    @property
    def out(self) -> Console:
        from rich.console import Console

        console = Console()
        console.on_broken_pipe = _reader_gone  # type: ignore[method-assign]  # rich's own exits 1: "rows failed"
        return console

    @property
    def err(self) -> Console:
        from rich.console import Console

        return Console(stderr=True)

    @property
    def plain_out(self) -> Union[Console, PlainConsole]:
        """`out`, or a console that writes plain lines itself and imports rich only if it must (`_plainout`)."""
        from ._plainout import PlainConsole

        return PlainConsole.make(sys.stdout, lambda: self.out) or self.out

    @property
    def plain_err(self) -> Union[Console, PlainConsole]:
        from ._plainout import PlainConsole

        return PlainConsole.make(sys.stderr, lambda: self.err) or self.err


consoles = _Consoles()

TariffsOpt = typer.Option(
    None,
    "--tariffs",
    help="Extra tariff directory layered over the built-in one (repeatable; also RATECALC_TARIFFS).",
)


def fail(message: str, code: int = 2) -> None:
    consoles.err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


# A library field as the flag a person types (the CLI speaks in flags, the API in JSON paths).
FLAGS = {
    "weight": "--weight",
    "dims": "--dims",
    "value": "--value",
    "date": "--date",
    "delivery": "--courier",
    "readings": "--reading",
    "reading": "--reading",
    "item": "--item",
    "fx": "--fx",
    "rates_file": "--rates-file",
    "max_weight": "--max-weight",
    "weight_max": "--max-weight",
    "step": "--step",
    "carrier": "--carrier",
}


def flag_of(field: str) -> str:
    return FLAGS.get(field, field)


# The command line's own answers (usage errors, exit codes) pass through `guarded`. Since typer 0.29 they are
# typer's classes (it carries its own copy of click), before it click's: take them from typer either way.
_PASS_THROUGH: tuple[type[BaseException], ...] = (
    typer.Exit,
    typer.Abort,
    *(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"),
)


PLUGINS_ENV = "PYDANTIC_DISABLE_PLUGINS"


@contextmanager
def _without_pydantic_plugins() -> Iterator[None]:
    """pydantic's plugins are not looked for while a library command runs, unless the user set PLUGINS_ENV.

    Why: the first validator a process builds makes pydantic read the entry points of every installed
    distribution to find its plugins (observability hooks such as logfire's), ~0.02 s of CPU of a cold
    `ratecalc quote`; the models a command builds are ratecalc's own, and typer already builds its
    parameter validators this way. Set `PYDANTIC_DISABLE_PLUGINS=` (empty) to have plugins load as
    usual. Scoped to the command body and undone after it: `serve` (the API) is not run through here.
    """
    if PLUGINS_ENV in os.environ:
        yield
        return
    os.environ[PLUGINS_ENV] = "__all__"
    try:
        yield
    finally:
        os.environ.pop(PLUGINS_ENV, None)


def guarded(fn: Callable[[], None]) -> None:
    """Run a command body, turning ratecalc's own errors into one line and exit code 2."""
    try:
        with _without_pydantic_plugins():
            fn()
    except InputError as exc:
        fail(f"{flag_of(exc.field)}: {exc.message}")
    except TariffError as exc:
        fail("the tariff set is broken:\n" + str(exc))
    except RatecalcError as exc:
        fail(str(exc))
    except _PASS_THROUGH:
        raise
    except BrokenPipeError:
        _reader_gone()
    except Exception as exc:  # a bug, not the user's input: one line, and the traceback on request
        if os.environ.get("RATECALC_DEBUG"):
            raise
        fail(f"internal error ({type(exc).__name__}: {exc}); run with RATECALC_DEBUG=1 for the traceback and report it")


def _reader_gone() -> None:
    """The reader of our output went away (`ratecalc quote … | head`): stop quietly, as Unix tools do.

    stdout is pointed at /dev/null so that the interpreter's final flush cannot fail a second time, and
    the exit status is the one a process killed by SIGPIPE reports to a shell (128 + 13).
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(141)


_paused: list[bool] = []
"""[True] while `collector_off_until_loaded` holds the collector off."""


def collector_off_until_loaded(ctx: typer.Context) -> None:
    """The cyclic garbage collector is off from here (before the command parses its arguments) until the
    command has loaded its tariffs (`load` freezes them and turns it back on) or ends.

    Why: a cold start imports pydantic, numpy and ratecalc's models and reads the tariff set, ~50,000
    objects the collector tracks, none of them garbage; the collections they set off walk them again and
    again and free nothing (~0.03 s of CPU of a cold `ratecalc quote`). Only for the library's commands, each one short process: `serve` (a
    long-running server, added by the API) keeps the collector as it is, and so does a process that had
    turned it off itself.
    """
    if gc.isenabled():
        gc.disable()
        _paused[:] = [True]
        ctx.call_on_close(_resume_collector)  # also after a usage error, and in a test's in-process runner


def _resume_collector() -> None:
    if _paused:
        _paused.clear()
        gc.enable()


def load(tariffs: Optional[List[Path]]) -> TariffSet:
    from ..pricing.tariffset import TariffSet  # here, not at import: `--help` must not load numpy and pydantic

    loaded = TariffSet.load(tariffs or ())
    # A command is one short process: the objects of the tariff set (and of the imports) live until it exits. Frozen,
    # the cyclic collector stops walking them on every collection the quoting and printing set off
    # (~0.05 s of a cold `ratecalc quote`). It was off since the command started (ratecalc.cli's
    # `collector_off_until_loaded`): the command's own work runs with it on.
    gc.freeze()
    _resume_collector()
    return loaded
