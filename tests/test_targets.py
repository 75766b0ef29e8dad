"""Target specs: random widths, ``.npz`` files checked from their headers before their data."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npformat

import slt_check.tickets.targets as targets
from slt_check.tickets.targets import MAX_TARGET_PARAMS, load_npz_target, parse_widths, random_target, target_from_spec


def _one_line_error(fn, *args, match: str, **kwargs) -> str:
    with pytest.raises(ValueError, match=match) as info:
        fn(*args, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


# --- random targets -----------------------------------------------------------------------------


@pytest.mark.parametrize("widths", ["-4-8-2", "4--8", "4-8-", "4-+8", "4-8.5", "4-8-2-", ",4,8", "4-1_0"])
def test_malformed_widths_are_errors(widths: str) -> None:
    _one_line_error(parse_widths, widths, match="no empty parts")
    _one_line_error(target_from_spec, f"random:{widths}", match="widths")


@pytest.mark.parametrize("widths", ["4-0-2", "0-3", "4", ""])
def test_zero_widths_and_single_widths_are_errors(widths: str) -> None:
    _one_line_error(target_from_spec, f"random:{widths}", match="widths")


def test_valid_widths_are_read_as_before() -> None:
    assert parse_widths("4-8-8-2") == parse_widths("4,8,8,2") == parse_widths([4, 8, 8, 2]) == (4, 8, 8, 2)
    F = target_from_spec("random:4-8-2:normal", seed=3)
    assert F.widths == (4, 8, 2) and not F.output_relu
    assert target_from_spec("random:4-8-2", output_relu=True).output_relu
    np.testing.assert_array_equal(F.weights[1], random_target((4, 8, 2), 1.0, 3, family="normal").weights[1])
    _one_line_error(parse_widths, [4, -8, 2], match="all ≥ 1")


def test_absurd_random_targets_are_refused_before_allocating() -> None:
    t0 = time.perf_counter()
    msg = _one_line_error(target_from_spec, "random:100000-100000-10", match="MAX_TARGET_PARAMS")
    assert "10001000000 weights" in msg and str(MAX_TARGET_PARAMS) in msg
    _one_line_error(random_target, [10**9, 10**9], match="MAX_TARGET_PARAMS")
    assert time.perf_counter() - t0 < 1.0
    _one_line_error(target_from_spec, "random:4-8:gaussian", match="unknown target family 'gaussian'")


# --- npz targets --------------------------------------------------------------------------------


def _npz(tmp_path: Path, name: str = "t.npz", **arrays) -> str:
    path = tmp_path / name
    np.savez(path, **arrays)
    return str(path)


def test_valid_npz_targets(tmp_path) -> None:
    w0, w1 = np.arange(12.0).reshape(4, 3) / 12, np.ones((2, 4), dtype=np.float32)
    path = _npz(tmp_path, W_0=w0, W_1=w1, notes=np.array(["ignored"]))
    F = target_from_spec(f"npz:{path}")
    assert F.widths == (3, 4, 2) and not F.output_relu
    np.testing.assert_array_equal(F.weights[0], w0)
    assert F.weights[1].dtype == np.float64
    assert load_npz_target(path, output_relu=True).output_relu
    ints = _npz(tmp_path, "ints.npz", target_0=np.ones((2, 3), dtype=np.int16), target_1=np.ones((1, 2), np.uint8))
    assert target_from_spec(f"npz:{ints}").widths == (3, 2, 1)
    fortran = _npz(tmp_path, "f.npz", W_0=np.asfortranarray(w0))
    np.testing.assert_array_equal(load_npz_target(fortran).weights[0], w0)
    compressed = tmp_path / "c.npz"
    np.savez_compressed(compressed, W_0=w0, W_1=w1)
    np.testing.assert_array_equal(load_npz_target(str(compressed)).weights[1], w1)


@pytest.mark.parametrize(
    ("arrays", "msg"),
    [
        ({"W_0": np.ones((4, 3)), "W_2": np.ones((2, 4))}, "has W_0, W_2 but no W_1; the layers must be"),
        ({"W_1": np.ones((4, 3))}, "has W_1 but no W_0"),
        ({"W_0": np.ones((4, 3)), "W_01": np.ones((2, 4))}, "'W_01' is not W_<k>"),
        ({"W_0": np.ones((4, 3)), "W_last": np.ones((2, 4))}, "'W_last' is not W_<k>"),
        ({"W_0": np.ones((4, 3)), "target_0": np.ones((4, 3))}, "both W_k and target_k"),
        ({"weights": np.ones((4, 3))}, "no W_0… or target_0… arrays"),
        ({"W_0": np.ones((4, 3)) * (1 + 1j)}, "complex .*imaginary part would be lost"),
        ({"W_0": np.ones((4, 3), dtype=bool)}, "dtype bool; weights must be real integers or floats"),
        ({"W_0": np.array([["a", "b"]])}, "dtype <U1"),
        ({"W_0": np.zeros((2, 2), dtype=[("a", "f8")])}, "weights must be real integers or floats"),
        ({"W_0": np.ones(3)}, r"expected a 2-D \(n_out, n_in\) matrix, got shape \(3,\)"),
        ({"W_0": np.ones((2, 2, 2))}, "2-D"),
        ({"W_0": np.ones((0, 3))}, "zero dimension"),
        ({"W_0": np.ones((4, 3)), "W_1": np.ones((2, 5))}, "has 5 inputs"),
        ({"W_0": np.array([[np.inf, 0.0]])}, "non-finite"),
    ],
)
def test_npz_refusals(arrays, msg: str, tmp_path) -> None:
    path = _npz(tmp_path, **arrays)
    text = _one_line_error(target_from_spec, f"npz:{path}", match=msg)
    assert repr(path) in text


def test_object_arrays_are_refused_from_the_header(tmp_path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "obj.npz"
    np.savez(path, W_0=np.array([[1.0, None]], dtype=object))
    _one_line_error(load_npz_target, str(path), match="dtype object")
    assert not marker.exists()


def _member(header: dict, data: bytes = b"", version: tuple[int, int] = (1, 0)) -> bytes:
    buf = io.BytesIO()
    if version == (1, 0):
        npformat.write_array_header_1_0(buf, header)
    else:
        npformat.write_array_header_2_0(buf, header)
    return buf.getvalue() + data


def _zip(tmp_path: Path, members: dict[str, bytes], name: str = "crafted.npz") -> str:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        for key, raw in members.items():
            zf.writestr(f"{key}.npy", raw)
    return str(path)


def test_a_huge_declared_array_is_refused_without_reading(tmp_path, monkeypatch) -> None:
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}
    path = _zip(tmp_path, {"W_0": _member(header)})
    assert Path(path).stat().st_size < 1000

    def no_read(*args, **kwargs):
        raise AssertionError("data was read")

    monkeypatch.setattr(targets.np, "frombuffer", no_read)
    msg = _one_line_error(target_from_spec, f"npz:{path}", match="declare 1000000000000 weights")
    assert f"MAX_TARGET_PARAMS={MAX_TARGET_PARAMS}" in msg and "nothing was read" in msg
    # also across layers, with a version 2.0 header
    small = {"descr": "<f8", "fortran_order": False, "shape": (1, 10)}
    big = {"descr": "<f8", "fortran_order": False, "shape": (MAX_TARGET_PARAMS, 1)}
    path2 = _zip(tmp_path, {"W_0": _member(small, b"\0" * 80), "W_1": _member(big, version=(2, 0))}, "two.npz")
    _one_line_error(load_npz_target, path2, match="MAX_TARGET_PARAMS")


def test_crafted_headers_and_data(tmp_path) -> None:
    f8 = {"descr": "<f8", "fortran_order": False, "shape": (3, 2)}
    short = _zip(tmp_path, {"W_0": _member(f8, b"\0" * 8)}, "short.npz")
    _one_line_error(load_npz_target, short, match=r"'W_0' is truncated \(8 of 48 bytes\)")
    big_endian = {"descr": ">f8", "fortran_order": False, "shape": (1, 2)}
    be = _zip(tmp_path, {"W_0": _member(big_endian, np.array([1.5, -2.0], ">f8").tobytes())}, "be.npz")
    np.testing.assert_array_equal(load_npz_target(be).weights[0], [[1.5, -2.0]])
    c16 = {"descr": "<c16", "fortran_order": False, "shape": (1, 1)}
    _one_line_error(load_npz_target, _zip(tmp_path, {"W_0": _member(c16)}, "c.npz"), match="complex")
    garbage = _zip(tmp_path, {"W_0": b"\x93NUMPY\x01\x00" + b"\xff" * 40}, "garbage.npz")
    _one_line_error(load_npz_target, garbage, match=r"garbage\.npz': ")
    not_npy = _zip(tmp_path, {"W_0": b"hello"}, "notnpy.npz")
    _one_line_error(load_npz_target, not_npy, match=r"notnpy\.npz': ")


@pytest.mark.parametrize(
    ("kind", "msg"),
    [
        ("missing", "no npz file at"),
        ("directory", "is a directory, not a npz file"),
        ("empty", "is empty"),
        ("text", r"is not a readable \.npz archive"),
        ("npy", r"is not a readable \.npz archive"),
        ("truncated", r"is not a readable \.npz archive"),
    ],
)
def test_broken_npz_files_give_one_line_value_errors(kind: str, msg: str, tmp_path) -> None:
    p = tmp_path / f"{kind}.npz"
    if kind == "directory":
        p.mkdir()
    elif kind == "empty":
        p.write_bytes(b"")
    elif kind == "text":
        p.write_text("W_0 = [[1, 2]]\n")
    elif kind == "npy":
        with open(p, "wb") as f:
            np.save(f, np.ones((2, 3)))
    elif kind == "truncated":
        data = Path(_npz(tmp_path, "full.npz", W_0=np.ones((40, 30)), W_1=np.ones((2, 40)))).read_bytes()
        p.write_bytes(data[: len(data) // 2])
    text = _one_line_error(target_from_spec, f"npz:{p}", match=msg)
    assert repr(str(p)) in text
