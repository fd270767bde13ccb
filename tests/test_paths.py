"""Input and output paths (ratecalc.files.paths): what may be an output, and runs that share one."""

from __future__ import annotations

import fcntl
import os

import pytest

from ratecalc import InputError
from ratecalc.files.paths import Partial, check_input, check_paths, remove_output, remove_stale_partials, write_atomic


def test_outputs_that_are_inputs_or_each_other_are_refused(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("x")
    (tmp_path / "link.csv").symlink_to(src)
    os.link(src, tmp_path / "hard.csv")
    for out in (src, tmp_path / "link.csv", tmp_path / "hard.csv", tmp_path / "." / "in.csv"):
        with pytest.raises(InputError) as exc:
            check_paths([("output", out)], [("input", src)])
        assert exc.value.field == "output" and exc.value.rule == "output_distinct" and "the input" in exc.value.message
    with pytest.raises(InputError) as exc:
        check_paths([("output", tmp_path / "new.csv"), ("errors", tmp_path / "new.csv")], [("input", src)])
    assert exc.value.field == "errors" and "the output" in exc.value.message
    check_paths([("output", tmp_path / "a.csv"), ("errors", tmp_path / "b.csv")], [("input", src), ("rates", None)])


def test_special_files_are_refused_as_outputs_and_inputs(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dir").mkdir()
    for name, kind in (("fifo", "FIFO"), ("dir", "a directory")):
        with pytest.raises(InputError) as exc:
            check_paths([("output", tmp_path / name)])
        assert kind in exc.value.message and exc.value.rule == "output_kind"
        with pytest.raises(InputError) as exc:
            check_input("input", tmp_path / name)
        assert kind in exc.value.message and "does not exist" not in exc.value.message
    check_paths([("output", tmp_path / "dir")], directories=("output",))  # a directory where one is written


def test_remove_output_deletes_regular_files_only(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "file").write_text("x")
    remove_output(tmp_path / "fifo")
    remove_output(tmp_path / "file")
    remove_output(tmp_path / "missing")
    assert (tmp_path / "fifo").exists() and not (tmp_path / "file").exists()


def test_a_partial_file_is_left_alone_while_its_run_holds_it(tmp_path):
    target = tmp_path / "out.csv"
    held = target.with_name(".out.csv.4194000.cafe.partial")  # a pid not visible here: another namespace
    held.write_text("rows")
    fd = os.open(held, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    gone = target.with_name(".out.csv.4194000.dead.partial")
    gone.write_text("rows of a killed run")
    try:
        remove_stale_partials(target)
        assert held.exists() and not gone.exists()
    finally:
        os.close(fd)
    remove_stale_partials(target)
    assert not held.exists()


def test_a_partial_taken_between_creation_and_lock_is_replaced_by_a_new_one(tmp_path, monkeypatch):
    """Another run's clean-up locks the new file first (it took it for a dead run's): a new name is used."""
    import ratecalc.files.paths as paths

    partial = Partial(tmp_path / "out.csv")
    first = partial.path
    real_lock = paths._lock
    calls = []

    def contested(fd, blocking):
        calls.append(fd)
        return False if len(calls) == 1 else real_lock(fd, blocking)

    monkeypatch.setattr(paths, "_lock", contested)
    partial.create()
    assert partial.path != first and partial.path.exists() and len(calls) == 2
    partial.discard()
    assert not partial.path.exists()


def test_write_atomic_leaves_the_old_file_when_it_cannot_finish(tmp_path):
    out = tmp_path / "chart.svg"
    out.write_text("old")
    write_atomic(out, b"new")
    assert out.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["chart.svg"]
    os.remove(out)
    os.mkfifo(out)  # a FIFO appears at the path while the run works: it is never renamed over
    partial = Partial(out)
    partial.create()
    with pytest.raises(InputError):
        partial.commit()
    partial.discard()
    assert out.is_fifo() and [p.name for p in tmp_path.iterdir()] == ["chart.svg"]
