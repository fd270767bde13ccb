"""What every command shares: consoles, loading the tariffs, and the one-line error contract.

Bad input never shows a traceback: it prints one line naming the field and exits with code 2. Neither
does a bug: it prints one "internal error" line (exit 2; RATECALC_DEBUG=1 shows the traceback). Output
that cannot be written (standard output on a full disk or `/dev/full`, or closed) is one line and exit 2
too, never a success with the output lost; a reader that went away (`| head`) is exit 141, quietly.
"""

from __future__ import annotations

import gc
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Collection, Iterator, List, Mapping, Optional, TextIO, Union

import typer

from ..errors import InputError, RatecalcError, TariffError

if TYPE_CHECKING:
    from rich.console import Console

    from ..pricing.tariffset import TariffSet
    from ._plainout import PlainConsole


def rich_console(*, stderr: bool = False) -> Console:
    """A rich console that prints text as it is written: markup and emoji codes off.

    Why: what the commands print is full of the user's and the data's own text (a weight as typed, a path,
    a category, a service name from a user's tariff file). With markup on, `[/]` in any of it ended the
    command in a MarkupError traceback and `[bold red]x[/]` was printed as a bold red `x`; with emoji
    codes on, `:smile:` became a face. The commands' own styling is given as `Text` styles instead.
    """
    from rich.console import Console

    console = Console(stderr=stderr, markup=False, emoji=False)
    if not stderr:
        console.on_broken_pipe = _reader_gone  # type: ignore[method-assign]  # rich's own exits 1: "rows failed"
    return console


class _Consoles:
    """Consoles made per call, so COLUMNS and redirection are read when a command runs, not at import
    (and rich's console is imported only by a command that prints through it)."""

    @property
    def out(self) -> Console:
        return rich_console()

    @property
    def err(self) -> Console:
        return rich_console(stderr=True)

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


def fail(message: str, code: int = 2) -> None:
    """`error: message` on stderr (the message printed as written, never as markup), then exit `code`."""
    from rich.text import Text

    consoles.err.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True)
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
    "input": "INPUT",
    "output": "--output",
    "errors": "--errors",
}


def flag_of(field: str, flags: Optional[Mapping[str, str]] = None) -> str:
    """The flag a person typed for a library field; `flags` are a command's own (its `--input`)."""
    return (flags or {}).get(field) or FLAGS.get(field, field)


# The command line's own answers (usage errors, exit codes) pass through `guarded`. Since typer 0.29 they are
# typer's classes (it carries its own copy of click), before it click's: take them from typer either way.
_PASS_THROUGH: tuple[type[BaseException], ...] = (
    typer.Exit,
    typer.Abort,
    *(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"),
)


_EXITS: tuple[type[BaseException], ...] = (SystemExit, *_PASS_THROUGH)
"""How a command ends on purpose, whatever its exit code: standard output is flushed and checked then too."""

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


class OutputError(Exception):
    """Standard output could not be written (no space, an I/O error, closed): the output is lost."""


class _CheckedStdout:
    """sys.stdout while a command runs: a write or flush that fails becomes OutputError (caught by
    `guarded`: one line, exit 2) instead of an internal error, or of the interpreter's exit-time flush
    failing after the command said nothing. A reader gone away stays BrokenPipeError (`_reader_gone`).
    A closed standard output (`ratecalc quote ... >&-`, sys.stdout None) refuses every write."""

    def __init__(self, stream: Optional[TextIO]):
        self._stream = stream
        self.encoding = getattr(stream, "encoding", None) or "utf-8"

    def write(self, text: str) -> int:
        stream = self._stream
        if stream is None:
            raise OutputError("standard output is closed")
        try:
            return stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(_why(exc)) from None

    def flush(self) -> None:
        if self._stream is None:
            return
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(_why(exc)) from None

    def isatty(self) -> bool:
        return self._stream is not None and self._stream.isatty()

    def __getattr__(self, name: str) -> Any:  # fileno, buffer, errors...: the stream's own
        if self._stream is None:
            raise AttributeError(name)
        return getattr(self._stream, name)


def _why(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else (str(exc) or type(exc).__name__)


@contextmanager
def checked_stdout() -> Iterator[None]:
    """`_CheckedStdout` in place of sys.stdout while a command runs, flushed before it ends (also when it
    ends by exiting), so that a failed write is seen here. A closed fd 1 is first pointed at /dev/null, so
    that no file the command opens can take its place as fd 1."""
    real = sys.stdout
    if isinstance(real, _CheckedStdout):
        yield
        return
    if real is None:
        _point_at_devnull(1)
    sys.stdout = _CheckedStdout(real)
    try:
        yield
    except _EXITS:
        sys.stdout.flush()
        raise
    else:
        sys.stdout.flush()
    finally:
        sys.stdout = real


def _point_at_devnull(fd: int) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    if devnull != fd:
        os.dup2(devnull, fd)
        os.close(devnull)


def _output_lost(why: str) -> None:
    """One line, exit 2; what could not be written is dropped (stdout to /dev/null), so the interpreter's
    final flush does not fail a second time with a traceback-like "Exception ignored" message."""
    try:
        if sys.stdout is not None:
            _point_at_devnull(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    fail(f"cannot write to standard output ({why}); nothing more was written")


def run_app(app: Callable[..., Any], *, unchecked: Collection[str] = ()) -> None:
    """The command line's entry point: `app` with standard output checked (`checked_stdout`) for what
    click and typer print themselves (help, usage, --version), as `guarded` checks it for the commands.
    `unchecked` names commands left alone (`serve`: a long-running server logs through its own handlers)."""
    command = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    if command in unchecked:
        app(prog_name="ratecalc")
        return
    try:
        with checked_stdout():
            app(prog_name="ratecalc")
    except OutputError as exc:
        try:
            _output_lost(str(exc))
        except typer.Exit as done:
            sys.exit(done.exit_code)


def guarded(fn: Callable[[], None], flags: Optional[Mapping[str, str]] = None) -> None:
    """Run a command body, turning ratecalc's own errors into one line and exit code 2 (`flags`: the
    command's own flags for library fields, where they differ from FLAGS)."""
    try:
        with _without_pydantic_plugins(), checked_stdout():
            fn()
    except OutputError as exc:
        _output_lost(str(exc))
    except InputError as exc:
        fail(f"{flag_of(exc.field, flags)}: {exc.message}")
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
