"""backends/sampling.py against llama.cpp's own samplers: the same token for the same logits, window and settings.

The native side runs llama.cpp's sampler chain on a token array built here (``llama_sampler_apply``, then
``llama_sampler_accept`` for the picked token, as ``llama_sampler_sample`` does on a context's logits), so any
logits can be tried, NaN, infinities, signed zeros and ties included. The end-to-end equality on the real
model (native chain vs these paths, same prompt and settings) is in tests/test_llamacpp.py.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

llama_cpp = pytest.importorskip("llama_cpp")
_internals = pytest.importorskip("llama_cpp._internals")

from pytest_chimera.backends.sampling import PenaltyWindow, greedy_argmax, greedy_pick, to_f32  # noqa: E402

N_VOCAB = 24
special = st.sampled_from(
    [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 3.0e38, -3.0e38, 1e-45, float("inf"), float("-inf"), float("nan")]
)
finite = st.floats(-30, 30, width=32)
tokens = st.lists(st.integers(0, N_VOCAB - 1), max_size=20)
repeats = st.one_of(
    st.just(1.0), st.floats(0.25, 4.0, width=32), st.sampled_from([0.0, -0.0, -1.5, 1e-30, 1e30, 1.1, 1.3])
)
presences = st.one_of(st.just(0.0), st.just(-0.0), st.floats(-3.0, 3.0, width=32))
last_ns = st.integers(0, 10)


def _native_chain(last_n: int, repeat: float, present: float, frequency: float = 0.0, penalties: bool = True) -> Any:
    sampler = _internals.LlamaSampler()
    if penalties:
        sampler.add_penalties(N_VOCAB, last_n, repeat, frequency, present)
    return sampler


def _apply(sampler: Any, logits: list[float] | np.ndarray) -> int:
    data = (llama_cpp.llama_token_data * len(logits))(
        *[llama_cpp.llama_token_data(i, float(v), 0.0) for i, v in enumerate(logits)]
    )
    array = llama_cpp.llama_token_data_array(data, len(logits), -1, False)
    llama_cpp.llama_sampler_apply(sampler.sampler, ctypes.byref(array))
    token = int(data[array.selected].id)
    llama_cpp.llama_sampler_accept(sampler.sampler, token)
    return token


def _ours_greedy(window: PenaltyWindow, logits: np.ndarray) -> int:
    before = logits.copy()
    token = greedy_pick(logits, window)
    assert before.tobytes() == logits.tobytes()  # llama.cpp's logits row is left as it was
    saved = window.apply(logits)  # the in-place path agrees
    try:
        assert greedy_argmax(logits) == token
    finally:
        window.restore(logits, saved)
    assert before.tobytes() == logits.tobytes()
    window.accept(token)
    return token


@settings(max_examples=300, deadline=None)
@given(
    logits=st.lists(st.one_of(special, finite), min_size=N_VOCAB, max_size=N_VOCAB),
    history=tokens,
    last_n=last_ns,
    repeat=repeats,
    present=presences,
)
def test_greedy_with_penalties_equals_the_native_chain(
    logits: list[float], history: list[int], last_n: int, repeat: float, present: float
) -> None:
    native = _native_chain(last_n, repeat, present)
    native.add_greedy()
    window = PenaltyWindow(last_n, repeat, present)
    try:
        for token in history:  # the tokens picked so far, accepted by both
            llama_cpp.llama_sampler_accept(native.sampler, token)
            window.accept(token)
        row = np.array(logits, dtype=np.float32)
        assert _ours_greedy(window, row) == _apply(native, row)
        # a second step: the picked token is now in both windows
        row = row[::-1].copy()
        assert _ours_greedy(window, row) == _apply(native, row)
    finally:
        native.close()


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(st.lists(finite, min_size=N_VOCAB, max_size=N_VOCAB), min_size=1, max_size=6),
    history=tokens,
    last_n=last_ns,
    repeat=repeats,
    present=presences,
    top_k=st.integers(0, N_VOCAB),
    temp=st.floats(0.1, 2.0),
    seed=st.integers(0, 2**31),
)
def test_penalties_here_then_the_native_rest_equal_the_whole_native_chain(
    steps: list[list[float]],
    history: list[int],
    last_n: int,
    repeat: float,
    present: float,
    top_k: int,
    temp: float,
    seed: int,
) -> None:
    whole = _native_chain(last_n, repeat, present)
    rest = _native_chain(last_n, repeat, present, penalties=False)
    for chain in (whole, rest):
        if top_k:
            chain.add_top_k(top_k)
        chain.add_top_p(0.9, 1)
        chain.add_temp(temp)
        chain.add_dist(seed)
    window = PenaltyWindow(last_n, repeat, present)
    try:
        for token in history:
            llama_cpp.llama_sampler_accept(whole.sampler, token)
            llama_cpp.llama_sampler_accept(rest.sampler, token)
            window.accept(token)
        for step in steps:
            row = np.array(step, dtype=np.float32)
            saved = window.apply(row)
            ours = _apply(rest, row)
            window.restore(row, saved)
            window.accept(ours)
            assert ours == _apply(whole, row)
    finally:
        whole.close()
        rest.close()


@given(st.lists(st.one_of(special, finite), min_size=1, max_size=40))
def test_greedy_argmax_follows_llama_cpp_scan(values: list[float]) -> None:
    row = np.array(values, dtype=np.float32)
    best = 0
    for i in range(1, len(row)):  # llama_sampler_greedy_apply, literally
        if row[i] > row[best]:
            best = i
    assert greedy_argmax(row) == best


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_to_f32_rounds_as_c_does(value: float) -> None:
    with np.errstate(over="ignore"):
        expected = np.float64(np.float32(value))
    assert np.array(to_f32(value)).tobytes() == np.array(expected).tobytes() or (value != value)


@given(
    values=st.lists(st.one_of(special, st.floats(width=32)), min_size=1, max_size=30),
    repeat=repeats,
    present=presences,
    frequency=st.sampled_from([0.0, -0.0]),
)
@example(values=[1.0, -1.0, 0.0, -0.0], repeat=-0.0, present=0.0, frequency=0.0)
@example(values=[1.0, -1.0, 0.0, -0.0], repeat=0.0, present=-0.0, frequency=-0.0)
def test_penalties_are_float32_operations_bit_for_bit(
    values: list[float], repeat: float, present: float, frequency: float
) -> None:
    """Each step is rounded to float32 as C's float arithmetic does (numpy's float32 ufuncs are IEEE single);
    the offset is llama.cpp's ``float(count) * freq + float(count > 0) * present`` with a zero frequency."""
    window = PenaltyWindow(4, repeat, present, frequency)
    x, r = np.array(values, dtype=np.float32), np.float32(repeat)
    offset = np.float32(3) * np.float32(frequency) + np.float32(1) * np.float32(present)
    with np.errstate(all="ignore"):
        expected = np.where(x <= 0, x * r, x / r).astype(np.float32) - offset
    got = np.array(window.penalise([float(v) for v in x]), dtype=np.float64)
    assert got.astype(np.float32).astype(np.float64).tobytes() == got.tobytes()  # float32 values only
    assert got.astype(np.float32).tobytes() == expected.astype(np.float32).tobytes()


def test_window_keeps_the_last_n_tokens_only() -> None:
    window = PenaltyWindow(2, 2.0, 0.0)
    for token in (5, 6, 7):
        window.accept(token)
    assert sorted(window.ids().tolist()) == [6, 7]
    row = np.ones(8, dtype=np.float32)
    saved = window.apply(row)
    assert row.tolist() == [1, 1, 1, 1, 1, 1, 0.5, 0.5]
    window.restore(row, saved)
    assert row.tolist() == [1.0] * 8


def test_a_frequency_penalty_is_left_to_the_native_sampler() -> None:
    with pytest.raises(ValueError, match="frequency penalty of 0 only"):
        PenaltyWindow(64, 1.1, 0.0, frequency=0.5)
