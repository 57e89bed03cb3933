"""Token selection for the embedded backend: llama.cpp's native sampler chain without its costly first link.

llama.cpp's repetition-penalty sampler looks every token of the vocabulary up in a hash map of the window's
tokens, on every step: ~0.9 ms per token over gemma3's 262,144 tokens, 2-5% of a decode. Here the penalties
are applied to the window's own tokens only, with llama.cpp's float32 operations. Before the rest of a
native chain (grammar, top-k, typical, top-p, min-p, temperature, dist, mirostat) they are written into
llama.cpp's logits row, which that chain then reads as the native penalties would have left it, and
restored after the pick. Greedy decoding without a grammar needs no native call: the argmax of the
penalised row, with the native greedy sampler's rules (the lowest token id wins a tie; a NaN is never chosen
unless it is token 0), read from the row without writing to it in the common case.

Only a frequency penalty of 0 is handled here: then every penalised token gets the same offset and each step
is one IEEE float32 operation, as in llama.cpp. With a frequency penalty the native penalty sampler runs, as
does the whole native chain when ``native=True`` (the reference path tests and bench/ compare against).
tests/test_sampling.py checks both paths against llama.cpp's samplers.
"""

from __future__ import annotations

import ctypes
import importlib
import math
import struct
from collections import deque
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

Logits = npt.NDArray[np.float32]


_F32 = struct.Struct("f")


def to_f32(value: float) -> float:
    """``value`` rounded to the nearest float32, as C's ``(float)`` conversion does (overflow gives infinity)."""
    try:
        result: float = _F32.unpack(_F32.pack(value))[0]
    except OverflowError:  # struct refuses what C rounds to +-inf
        return math.copysign(math.inf, value)
    return result


def to_f32_all(values: list[float]) -> list[float]:
    """``to_f32`` of every value, in one pass where none overflows."""
    try:
        layout = struct.Struct(f"{len(values)}f")
        return list(layout.unpack(layout.pack(*values)))
    except OverflowError:
        return [to_f32(v) for v in values]


class PenaltyWindow:
    """The last ``last_n`` picked tokens and llama.cpp's repetition penalties over them (frequency 0).

    The penalties are computed on Python floats and rounded to float32 after each operation: a float32
    product is exact in a double, and a double's 53 bits (>= 2 x 24 + 2) make rounding a double quotient or
    difference to float32 give the correctly rounded float32 result, which is what llama.cpp's float
    arithmetic gives.
    """

    def __init__(self, last_n: int, repeat: float, present: float, frequency: float = 0.0) -> None:
        if frequency != 0.0:
            raise ValueError("PenaltyWindow applies a frequency penalty of 0 only; use the native sampler")
        self.last_n = max(int(last_n), 0)
        self.repeat = to_f32(repeat)
        # llama.cpp subtracts float(count) * freq + float(count > 0) * present: with freq = +-0 that is freq + present
        self.offset = to_f32(to_f32(frequency) + to_f32(present))
        self.active = self.last_n > 0 and not (self.repeat == 1.0 and to_f32(present) == 0.0)
        self._recent: deque[int] = deque()
        self._counts: dict[int, int] = {}
        self._ids: npt.NDArray[np.intp] | None = None

    def accept(self, token: int) -> None:
        """Record a picked token, dropping the oldest beyond ``last_n`` (llama.cpp's ring buffer)."""
        if self.last_n == 0:
            return
        counts = self._counts
        counts[token] = counts.get(token, 0) + 1
        if len(self._recent) >= self.last_n:
            old = self._recent.popleft()
            counts[old] -= 1
            if counts[old] == 0:
                del counts[old]
        self._recent.append(token)
        self._ids = None

    def __contains__(self, token: int) -> bool:
        return token in self._counts

    @property
    def penalising(self) -> bool:
        """Whether the penalties change anything now (llama.cpp skips them when they are neutral)."""
        return self.active and bool(self._counts)

    def ids(self) -> npt.NDArray[np.intp]:
        """The distinct tokens of the window, the ones the penalties touch."""
        if self._ids is None:
            self._ids = np.fromiter(self._counts, dtype=np.intp, count=len(self._counts))
        return self._ids

    def penalise(self, values: list[float]) -> list[float]:
        """llama.cpp's penalty of float32 logits: ``x <= 0 ? x * repeat : x / repeat``, minus the offset."""
        repeat, offset = self.repeat, self.offset
        if repeat:
            scaled = [x * repeat if x <= 0 else x / repeat for x in values]
        else:
            scaled = [x * repeat if x <= 0 else _divide_by_zero(x, repeat) for x in values]
        scaled = to_f32_all(scaled)
        if offset == 0.0 and math.copysign(1.0, offset) > 0:  # y - +0.0 is y, bit for bit
            return scaled
        return to_f32_all([y - offset for y in scaled])

    def apply(self, logits: Logits) -> Logits | None:
        """Penalise ``logits`` in place; return the values to hand to ``restore`` (None: nothing changed)."""
        if not self.penalising:
            return None
        ids = self.ids()
        saved = logits[ids]
        logits[ids] = self.penalise(saved.tolist())
        return saved

    def restore(self, logits: Logits, saved: Logits | None) -> None:
        if saved is not None:
            logits[self.ids()] = saved


def _divide_by_zero(x: float, zero: float) -> float:
    """``x / zero`` for a signed zero, as IEEE arithmetic (C) gives it where Python raises; ``x`` positive or NaN."""
    return x if x != x else math.copysign(math.inf, zero)


def greedy_argmax(values: Logits) -> int:
    """llama.cpp's greedy pick: the first index of the largest value; a NaN never wins unless it is at 0."""
    best = int(values.argmax())
    if values[best] != values[best]:  # numpy's argmax stops at the first NaN; llama.cpp's scan skips them
        best = 0 if values[0] != values[0] else int(np.nanargmax(values))
    return best


def greedy_pick(logits: Logits, window: PenaltyWindow) -> int:
    """llama.cpp's penalties then greedy on ``logits``, leaving the row as it was.

    The row's first largest value ``m``, if not a NaN and not in the window, is the best unpenalised token;
    the answer is then the first of ``m`` and the penalised window tokens with the largest value. Otherwise
    (``m`` in the window, or a NaN) the row is penalised in place, scanned and restored.
    """
    best = int(logits.argmax())
    if not window.penalising:
        return greedy_argmax(logits) if logits[best] != logits[best] else best
    top = float(logits[best])
    if top != top or best in window:
        return _scan_penalised(logits, window)
    ids = window.ids()
    for token, value in zip(ids.tolist(), window.penalise(logits[ids].tolist()), strict=True):
        if value != value:  # a NaN from the penalties (0 x inf): the full scan decides
            return _scan_penalised(logits, window)
        if value > top or (value == top and token < best):
            best, top = token, value
    return best


def _scan_penalised(logits: Logits, window: PenaltyWindow) -> int:
    saved = window.apply(logits)
    try:
        return greedy_argmax(logits)
    finally:
        window.restore(logits, saved)


class TokenPicker:
    """Picks the next token of one generation from llama.cpp's last logits row; ``close()`` frees the chain."""

    def __init__(self, llm: Any, chain: Any | None, window: PenaltyWindow) -> None:
        self._llm = llm
        self._low: Any = importlib.import_module("llama_cpp.llama_cpp")
        self._n_vocab = int(llm.n_vocab())
        self.chain = chain  # None: greedy without a grammar, done here
        self.window = window
        self._view: tuple[int, Logits] | None = None  # (address, view): the row stays put between decodes

    def logits(self) -> Logits:
        """A zero-copy view of llama.cpp's logits of the last decoded token (synchronises the context)."""
        pointer = self._low.llama_get_logits_ith(self._llm._ctx.ctx, -1)
        address = ctypes.addressof(pointer.contents) if pointer else 0
        if not address:
            raise RuntimeError("llama.cpp has no logits for the last token: nothing was decoded")
        if self._view is None or self._view[0] != address:
            self._view = (address, np.ctypeslib.as_array(pointer, shape=(self._n_vocab,)))
        return self._view[1]

    def pick(self) -> int:
        logits = self.logits()
        if self.chain is None:
            token = greedy_pick(logits, self.window)
        else:
            saved = self.window.apply(logits)
            try:
                token = int(self._low.llama_sampler_sample(self.chain.sampler, self._llm._ctx.ctx, -1))
            finally:
                self.window.restore(logits, saved)
        self.window.accept(token)
        return token

    def close(self) -> None:
        if self.chain is not None:
            self.chain.close()


def build_picker(llm: Any, settings: Mapping[str, Any], grammar: Any, *, native: bool = False) -> TokenPicker:
    """The picker for one call's settings (Ollama names mapped to llama.cpp's, see llamacpp.call_settings).

    The chain's order is llama-cpp-python's: penalties, grammar, then greedy, mirostat or
    top-k/typical/top-p/min-p/temperature/dist. ``native=True`` keeps every link native.
    """
    import llama_cpp

    _internals: Any = importlib.import_module("llama_cpp._internals")
    seed = settings["seed"]
    seed = llama_cpp.LLAMA_DEFAULT_SEED if seed is None or seed < 0 else int(seed)
    last_n = int(settings["repeat_last_n"]) if settings["repeat_last_n"] >= 0 else int(llm.n_ctx())
    repeat, frequency = float(settings["repeat_penalty"]), float(settings["frequency_penalty"])
    present = float(settings["presence_penalty"])
    here = not native and frequency == 0.0
    window = PenaltyWindow(last_n, repeat, present, frequency) if here else PenaltyWindow(0, 1.0, 0.0)
    temp = float(settings["temp"])
    if here and temp <= 0.0 and grammar is None:
        return TokenPicker(llm, None, window)
    sampler = _internals.LlamaSampler()
    if not here:
        sampler.add_penalties(llm.n_vocab(), last_n, repeat, frequency, present)
    if grammar is not None:
        sampler.add_grammar(llm._model, grammar)
    mirostat = int(settings["mirostat_mode"])
    if temp <= 0.0:
        sampler.add_greedy()
    elif mirostat == 1:
        sampler.add_mirostat(llm.n_vocab(), seed, settings["mirostat_tau"], settings["mirostat_eta"], 100)
    elif mirostat == 2:
        sampler.add_mirostat_v2(seed, settings["mirostat_tau"], settings["mirostat_eta"])
    else:
        top_k = int(settings["top_k"])
        if top_k > 0:
            sampler.add_top_k(top_k)
        sampler.add_typical(float(settings["typical_p"]), 1)
        sampler.add_top_p(float(settings["top_p"]), 1)
        sampler.add_min_p(float(settings["min_p"]), 1)
        sampler.add_temp(temp)
        sampler.add_dist(seed)
    return TokenPicker(llm, sampler, window)
