"""The command line: quick quotes, JSON contract, exit code 2 with one line on bad input."""

import json

import pytest
from typer.testing import CliRunner

from ratecalc.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), env={"COLUMNS": "250"})


def test_quote_table():
    r = run("quote", "--weight", "400g", "--dims", "30x20x15cm", "--date", "2022-07-01")
    assert r.exit_code == 0, r.output
    assert "GBS Broker" in r.output and "24.60 USD" in r.output


def test_quote_json_is_compact_and_has_no_nulls():
    r = run("quote", "--weight", "400g", "--dims", "30x20x15cm", "--date", "2022-07-01", "--json")
    assert r.exit_code == 0
    quotes = json.loads(r.stdout)
    q = next(q for q in quotes if q["service_id"] == "gbs-broker")
    assert q == {
        "service_id": "gbs-broker",
        "service": q["service"],
        "carrier_id": "gbs",
        "status": "ok",
        "price": {"amount": "24.60", "currency": "USD"},
        **({"days": q["days"]} if "days" in q else {}),
        "chargeable_weight_g": 1800,
        **({"confidence": q["confidence"]} if "confidence" in q else {}),
    }
    assert all(None not in x.values() for x in quotes)
    ranks = [{"ok": 0, "unpriced": 1, "ineligible": 2}[q["status"]] for q in quotes]
    assert ranks == sorted(ranks)


def test_quote_json_full_contract():
    r = run("quote", "--weight", "400g", "--dims", "30x20x15cm", "--date", "2022-07-01", "--json", "--full")
    assert r.exit_code == 0
    quotes = json.loads(r.stdout)
    q = next(q for q in quotes if q["service_id"] == "gbs-broker")
    for key in (
        "carrier",
        "service",
        "status",
        "reasons",
        "actual_weight_g",
        "volumetric_weight_g",
        "chargeable_weight_g",
        "basis",
        "price",
        "delivery_days",
        "tariff",
    ):
        assert key in q
    assert q["price"] == {"amount": "24.60", "currency": "USD"}
    assert q["tariff"]["effective_from"] == "2022-06-01" and q["tariff"]["sources"]
    ranks = [{"ok": 0, "unpriced": 1, "ineligible": 2}[q["status"]] for q in quotes]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize(
    "args, field",
    [
        (("--weight", "-1kg", "--dims", "30x20x10cm"), "weight"),
        (("--weight", "0g", "--dims", "30x20x10cm"), "weight"),
        (("--weight", "1kg", "--dims", "30x20cm"), "dims"),
        (("--weight", "1lb", "--dims", "30x20x10cm"), "weight"),
        (("--weight", "1kg", "--dims", "30x20x10cm", "--date", "2023-02-30"), "date"),
        (("--weight", "1kg", "--dims", "30x20x10cm", "--value", "12 bucks"), "value"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, field):
    r = run("quote", *args)
    assert r.exit_code == 2
    assert "Traceback" not in r.output
    assert f"{field}:" in r.output


def test_tariffs_list_show_check(tmp_path):
    assert "gbs-broker" in run("tariffs", "list").output
    shown = run("tariffs", "show", "gbs-broker", "--json")
    assert shown.exit_code == 0 and json.loads(shown.stdout)["name"] == "GBS Broker"
    assert run("tariffs", "show", "no-such-service").exit_code == 2
    assert run("tariffs", "check").exit_code == 0
    (tmp_path / "bad.yaml").write_text("carrier: X\ncarrier_id: x\nservices: []\n")
    bad = run("tariffs", "check", str(tmp_path))
    assert bad.exit_code == 1 and "bad.yaml" in bad.output and "services" in bad.output


@pytest.mark.parametrize(
    "args",
    [
        ["tariffs", "import", "nope-2026-01-01.xlsx", "--effective-from", "2026-01-01"],
        ["tariffs", "import", "nope.xlsx", "--effective-from", "1 January"],
    ],
    ids=["missing-file", "bad-date"],
)
def test_an_error_a_command_reports_itself_is_one_line_not_an_internal_error(args, tmp_path):
    r = run(*[a if not a.startswith("nope") else str(tmp_path / a) for a in args])
    assert r.exit_code == 2, r.output
    assert "error:" in r.output and "internal error" not in r.output and "Exit" not in r.output


def _blas_threads_seen(env: dict) -> str:
    """After a real `ratecalc quote --json`: OPENBLAS_NUM_THREADS, whether numpy was loaded, and whether
    it already was when the setting was made (it must not be: OpenBLAS reads it once, when it loads)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import sys, os, atexit\n"
        "import ratecalc.cli as cli\n"
        "seen = []\n"
        "real = cli.single_threaded_blas\n"
        "def spy():\n"
        "    seen.append('numpy' in sys.modules)\n"
        "    real()\n"
        "cli.single_threaded_blas = spy\n"
        "atexit.register(lambda: print('BLAS', os.environ.get('OPENBLAS_NUM_THREADS'), 'numpy' in sys.modules,"
        " seen, file=sys.stderr))\n"
        "sys.argv[1:] = ['quote', '--weight', '300g', '--dims', '20x15x5cm', '--date', '2023-06-01', '--json']\n"
        "cli.main()\n"
    )
    root = Path(__file__).resolve().parent.parent
    base = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    r = subprocess.run(
        [sys.executable, "-c", probe], env={**base, "PYTHONPATH": str(root), **env}, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    [line] = [x for x in r.stderr.splitlines() if x.startswith("BLAS ")]
    return line


def test_commands_start_numpy_with_one_blas_thread_unless_the_user_chose():
    assert _blas_threads_seen({}) == "BLAS 1 True [False]"
    assert _blas_threads_seen({"OPENBLAS_NUM_THREADS": "2"}) == "BLAS 2 True [False]"


def _cli_output(args: list[str], preload: str) -> str:
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = f"{preload}import runpy, sys; sys.argv[0] = 'ratecalc'; runpy.run_module('ratecalc', run_name='__main__')"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "COLUMNS": "100"}
    r = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True)
    return f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"


@pytest.mark.parametrize("args", [["--help"], ["quote", "--help"], ["quote", "--weight"], ["no-such-command"]])
def test_help_and_usage_errors_read_the_same_with_rich_markdown_and_traceback_deferred(args):
    """typer's help module gets stand-ins for rich's Markdown and Traceback (ratecalc.cli._deferred); what a
    person reads is what it is with the real modules imported first."""
    deferred = _cli_output(args, "")
    real = _cli_output(args, "import rich.markdown, rich.traceback; ")
    assert deferred == real and ("Usage" in deferred or "Error" in deferred)


def test_the_deferred_rich_names_become_the_real_ones_on_first_use():
    import subprocess
    import sys

    probe = (
        "import sys, ratecalc.cli\n"
        "import typer.rich_utils as ru\n"
        "assert type(sys.modules['rich.markdown']).__name__ == '_StandIn'\n"
        "md = ru.Markdown('# Title')\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError as e:\n"
        "    tb = ru.Traceback.from_exception(type(e), e, e.__traceback__)\n"
        "import rich.markdown, rich.traceback\n"
        "print(type(md) is rich.markdown.Markdown, type(tb) is rich.traceback.Traceback,"
        " sys.modules['rich.markdown'] is rich.markdown)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "True", "True"]


@pytest.mark.parametrize("output", [["--json"], ["--all"]])
def test_a_reader_that_stops_early_ends_the_command_quietly_as_sigpipe_would(output):
    """`ratecalc quote … | head`: no "internal error", and the status a shell shows for SIGPIPE (141)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    args = ["quote", "--weight", "300g", "--dims", "20x15x5cm", "--date", "2023-06-01", *output]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ratecalc", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before the first line is written
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 141, err
    assert "internal error" not in err


def test_the_collector_is_off_until_the_tariffs_are_loaded_and_only_for_the_library_commands(monkeypatch):
    """A library command starts with the cyclic garbage collector off (its imports and tariff load make
    no garbage) and turns it back on once the tariffs are loaded; a command added on top (the API's
    `serve`, a long-running server) runs with it untouched, and so does a command that ends in a usage
    error before loading anything."""
    import gc

    import typer

    from ratecalc.cli import build_app
    from ratecalc.pricing.tariffset import TariffSet

    seen: list[tuple[str, bool]] = []
    real_load = TariffSet.load.__func__  # type: ignore[attr-defined]

    def load(cls, *args, **kwargs):
        seen.append(("loading", gc.isenabled()))
        return real_load(cls, *args, **kwargs)

    monkeypatch.setattr(TariffSet, "load", classmethod(load))

    def serve_like(app: typer.Typer) -> None:
        @app.command()
        def serve() -> None:
            seen.append(("serve", gc.isenabled()))

    cli = build_app(serve_like)
    assert gc.isenabled()
    r = runner.invoke(cli, ["quote", "--weight", "400g", "--dims", "30x20x15cm", "--date", "2022-07-01"])
    assert r.exit_code == 0, r.output
    seen.append(("after quote", gc.isenabled()))
    assert runner.invoke(cli, ["serve"]).exit_code == 0
    assert runner.invoke(cli, ["quote", "--weight"]).exit_code == 2  # usage error: no load, the collector back on
    seen.append(("after usage error", gc.isenabled()))
    assert seen == [("loading", False), ("after quote", True), ("serve", True), ("after usage error", True)]
