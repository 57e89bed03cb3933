"""The embedded backend: llama.cpp in-process through llama-cpp-python.

``llama_cpp`` is imported inside methods only. Timings come from llama.cpp's own perf counters, reset at
the start of every call; TTFT and wall time are measured here, around the stream.

Metric meanings (Ollama's): prompt_eval_count/prompt_eval_ms are the prompt tokens llama.cpp evaluated
in this call and its time for them; eval_count is the number of tokens generated (the end-of-generation
token not counted) and eval_ms the engine time spent generating them: llama.cpp's decode time of the
generated tokens fed back (all but the last, as in Ollama) plus the time of the sampling steps (where a
grammar's cost lands; see backends/sampling.py: llama.cpp's native sampler chain, its repetition penalties
applied to the window's tokens only, greedy decoding an argmax). tokens_per_s = eval_count / eval_ms.
load_ms is the model load time, carried by the first call after loading (0 afterwards); total_ms = load_ms
+ the call's time; wall_ms is the call's time as the caller sees it.

Prefix reuse: by default the context is cleared before every call, so each call evaluates its whole prompt
and TTFT is never flattered by an earlier call. ``reuse_prefix=True`` keeps the KV cache and evaluates only
what differs from the previous call's tokens; the reused count is reported as ``cached_prompt_tokens``.
"""

from __future__ import annotations

import codecs
import contextlib
import importlib
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_chimera.backends import gguf
from pytest_chimera.backends.base import BackendError, CallMetrics, Generation, Message, TokenCallback, check_input
from pytest_chimera.backends.host import cpu_model
from pytest_chimera.backends.llamalog import captured_log, cause
from pytest_chimera.backends.prompting import StopScanner, render_gemma3

NAME = "llama-cpp"
DEFAULT_MODEL = "gemma3:270m"

# Ollama option -> llama_cpp.Llama(...) keyword, applied when the model is loaded.
LOAD_OPTIONS: dict[str, str] = {
    "num_ctx": "n_ctx",
    "num_gpu": "n_gpu_layers",
    "num_thread": "n_threads",
    "num_batch": "n_batch",
    "seed": "seed",
    "use_mmap": "use_mmap",
    "use_mlock": "use_mlock",
    "main_gpu": "main_gpu",
    "numa": "numa",
}
# Ollama option -> sampling/generation parameter, applied per call.
CALL_OPTIONS: dict[str, str] = {
    "temperature": "temp",
    "top_p": "top_p",
    "top_k": "top_k",
    "min_p": "min_p",
    "typical_p": "typical_p",
    "repeat_penalty": "repeat_penalty",
    "repeat_last_n": "repeat_last_n",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "seed": "seed",
    "num_predict": "max_tokens",
    "stop": "stop",
    "mirostat": "mirostat_mode",
    "mirostat_tau": "mirostat_tau",
    "mirostat_eta": "mirostat_eta",
}
# Accepted (Ollama knows them) but without an equivalent in llama.cpp's current API: no effect here.
IGNORED_OPTIONS = frozenset({"num_keep", "penalize_newline", "low_vram", "vocab_only"})

# Ollama's defaults (api/types.go DefaultOptions; num_ctx as in current Ollama releases).
OLLAMA_LOAD_DEFAULTS: dict[str, Any] = {"n_ctx": 4096, "n_batch": 512, "n_gpu_layers": -1}
OLLAMA_CALL_DEFAULTS: dict[str, Any] = {
    "temp": 0.8,
    "top_p": 0.9,
    "top_k": 40,
    "min_p": 0.0,
    "typical_p": 1.0,
    "repeat_penalty": 1.1,
    "repeat_last_n": 64,
    "presence_penalty": 0.0,
    "frequency_penalty": 0.0,
    "seed": None,
    "max_tokens": -1,
    "stop": [],
    "mirostat_mode": 0,
    "mirostat_tau": 5.0,
    "mirostat_eta": 0.1,
}
# The parameters Ollama's library gemma3 models ship with (their Modelfile PARAMETER lines).
GEMMA3_CALL_DEFAULTS: dict[str, Any] = {"temp": 1.0, "top_k": 64, "top_p": 0.95, "stop": ["<end_of_turn>"]}


def split_options(options: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Map Ollama options onto llama.cpp: ``(load-time Llama kwargs, per-call kwargs, ignored keys)``.

    ``seed`` lands in both: the model's default seed and the sampler's seed of the call. Unknown keys raise
    BackendError naming the key.
    """
    load: dict[str, Any] = {}
    call: dict[str, Any] = {}
    ignored: list[str] = []
    for key, value in (options or {}).items():
        if key in IGNORED_OPTIONS:
            ignored.append(key)
            continue
        if key not in LOAD_OPTIONS and key not in CALL_OPTIONS:
            known = ", ".join(sorted({*LOAD_OPTIONS, *CALL_OPTIONS, *IGNORED_OPTIONS}))
            raise BackendError(f"unknown Ollama option {key!r} for the llama-cpp backend; known options: {known}")
        if key in LOAD_OPTIONS:
            load[LOAD_OPTIONS[key]] = value
        if key in CALL_OPTIONS:
            call[CALL_OPTIONS[key]] = [value] if key == "stop" and isinstance(value, str) else value
    return load, call, sorted(ignored)


def load_key(options: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    """The load-time part of ``options`` as a hashable key (seed excluded: it is applied per call)."""
    load, _, _ = split_options(options)
    load.pop("seed", None)
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in load.items()))


def call_settings(model: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Per-call settings: Ollama's defaults, then gemma3's model parameters, then ``options``."""
    settings = dict(OLLAMA_CALL_DEFAULTS)
    if model.startswith("gemma3"):
        settings.update(GEMMA3_CALL_DEFAULTS)
    _, call, _ = split_options(options)
    settings.update(call)
    return settings


def default_threads(cpus: int | None = None, workers: str | None = None) -> int:
    """llama.cpp threads when ``num_thread`` is not set: the cores shared out among pytest-xdist workers.

    Each xdist worker loads its own model; with all cores each, ``-n 4`` on 4 cores would run 16 spinning
    threads. So: ``os.cpu_count() // $PYTEST_XDIST_WORKER_COUNT`` (at least 1); all cores outside xdist.
    """
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    text = workers if workers is not None else os.environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    count = int(text) if text.strip().isdigit() and int(text) > 0 else 1
    return max(1, cpus // count)


def _extra_buffer_types_enabled() -> bool:
    """Whether llama.cpp may use its extra CPU buffer types (weight repacking, Intel AMX kernels).

    ``PYTEST_CHIMERA_EXTRA_BUFTS=1|0`` decides; by default they are off where the CPU advertises AMX,
    because ggml's AMX kernels die with SIGILL (the whole pytest process) on virtual machines that show the
    AMX flags without enabling its register state, and they are on everywhere else.
    """
    env = os.environ.get("PYTEST_CHIMERA_EXTRA_BUFTS")
    if env is not None:
        return env.strip().lower() not in {"0", "false", "no", "off"}
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            return not any(line.startswith("flags") and " amx_tile" in line for line in handle)
    except OSError:
        return True


@contextlib.contextmanager
def _model_params(extra_bufts: bool) -> Iterator[None]:
    """Set ``use_extra_bufts`` for the Llama objects built inside (llama-cpp-python has no argument)."""
    low: Any = importlib.import_module("llama_cpp.llama_cpp")  # the module llama_cpp.Llama reads it from
    original = low.llama_model_default_params
    if extra_bufts:
        yield
        return

    def patched() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    low.llama_model_default_params = patched
    try:
        yield
    finally:
        low.llama_model_default_params = original


def _quantization(metadata: Mapping[str, str]) -> str | None:
    import llama_cpp

    file_type = metadata.get("general.file_type")
    if file_type is None or not file_type.isdigit():
        return None
    prefix = "LLAMA_FTYPE_MOSTLY_"
    names = {v: k[len(prefix) :] for k, v in vars(llama_cpp).items() if k.startswith(prefix) and isinstance(v, int)}
    names.update({0: "F32"})
    return names.get(int(file_type), f"file_type {file_type}")


class LlamaCppBackend:
    """gemma3 (or any GGUF) in-process with llama.cpp; implements the Backend protocol."""

    name = NAME

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        model_path: str | os.PathLike[str] | None = None,
        options: Mapping[str, Any] | None = None,
        reuse_prefix: bool = False,
        timeout: float | None = None,
    ) -> None:
        try:
            import llama_cpp
        except ImportError:
            raise BackendError(
                f"the llama-cpp backend needs llama-cpp-python, which is not installed; run: {gguf.INSTALL_HINT} "
                "(or use --chimera-backend ollama with a running Ollama server)"
            ) from None
        self.model = model
        self.options: dict[str, Any] = dict(options or {})
        self.reuse_prefix = reuse_prefix
        self.timeout = timeout
        load, _, self.ignored_options = split_options(self.options)
        call_settings(model, self.options)  # validate per-call values now, not at the first call
        self.file = gguf.resolve_model_file(model, model_path)
        kwargs: dict[str, Any] = {**OLLAMA_LOAD_DEFAULTS, "n_threads": default_threads(), **load}
        kwargs["n_threads_batch"] = kwargs["n_threads"]
        if kwargs.get("seed") is None:
            kwargs.pop("seed", None)
        self.load_kwargs = kwargs
        self.extra_bufts = _extra_buffer_types_enabled()
        start = time.perf_counter()
        try:
            with _model_params(self.extra_bufts), captured_log() as said:
                self._llm = llama_cpp.Llama(model_path=str(self.file.path), verbose=False, **kwargs)
        except (ValueError, RuntimeError, OSError) as exc:
            told = f" (llama.cpp: {why})" if (why := cause(said)) else ""
            raise BackendError(
                f"llama.cpp could not load {self.file.path}: {exc}{told}; check that it is a GGUF model file "
                "llama.cpp supports and that num_ctx/num_batch fit in memory"
            ) from None
        self.load_ms = (time.perf_counter() - start) * 1000
        self._pending_load_ms = self.load_ms
        self._grammars: dict[str, Any] = {}
        self._pieces: dict[int, bytes] = {}  # token -> its bytes (detokenize([token]) depends on the token only)
        # True: every sampling step through llama.cpp's whole native chain (the reference the fast paths of
        # backends/sampling.py are tested and benchmarked against); the tokens are the same either way.
        self.native_sampling = False
        self._lock = threading.Lock()
        self._sha256: str | None = self.file.sha256
        self._closed = False

    # -- Backend protocol -------------------------------------------------------------------------------

    def generate(
        self,
        prompt: str | None = None,
        *,
        messages: Sequence[Message] | None = None,
        options: Mapping[str, Any] | None = None,
        format: Mapping[str, Any] | None = None,
        on_token: TokenCallback | None = None,
    ) -> Generation:
        """Generate from a raw prompt (no template: a base model continues it) or chat messages."""
        start = time.perf_counter()
        if self._closed:
            raise BackendError("the llama-cpp backend was closed; load it again")
        check_input("LlamaCppBackend", prompt, messages)
        merged = {**self.options, **dict(options or {})}
        load, _, _ = split_options(options)
        changed = sorted(k for k, v in load.items() if k != "seed" and self.load_kwargs.get(k) != v)
        if changed:
            raise BackendError(
                f"load-time option(s) {', '.join(changed)} differ from the loaded model's; "
                "load another backend with them (load_backend(..., options=...)) instead of passing them per call"
            )
        settings = call_settings(self.model, merged)
        try:
            text = prompt if prompt is not None else render_gemma3(messages or [])
        except ValueError as exc:
            raise BackendError(f"bad chat messages: {exc}") from None
        grammar = self._grammar(format) if format is not None else None
        with self._lock:
            return self._run(text, settings, grammar, on_token, start, merged)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the model's tokenizer (no BOS)."""
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def describe(self) -> dict[str, Any]:
        """Identity for benchmark machine_info."""
        import llama_cpp

        if self._sha256 is None:
            self._sha256 = gguf.sha256_of(self.file.path)
        metadata: Mapping[str, str] = getattr(self._llm, "metadata", {}) or {}
        return {
            "backend": NAME,
            "model": self.model,
            "model_path": str(self.file.path),
            "sha256": self._sha256,
            "quantization": _quantization(metadata),
            "architecture": metadata.get("general.architecture"),
            "n_ctx": self._llm.n_ctx(),
            "n_threads": self.load_kwargs["n_threads"],
            "n_batch": self._llm.n_batch,
            "n_gpu_layers": self.load_kwargs["n_gpu_layers"],
            "extra_buffer_types": self.extra_bufts,
            "reuse_prefix": self.reuse_prefix,
            "options": dict(self.options),
            "load_ms": round(self.load_ms, 3),
            "llama_cpp_python": llama_cpp.__version__,
            "cpu_model": cpu_model(),
            "accelerator": self._accelerator(llama_cpp),
        }

    def _accelerator(self, llama_cpp: Any) -> str:
        """``cpu``, or ``gpu offload (N layers)`` when this llama.cpp build offloads and layers were asked for."""
        layers = self.load_kwargs["n_gpu_layers"]
        if layers and llama_cpp.llama_supports_gpu_offload():
            return f"gpu offload ({'all' if layers < 0 else layers} layers)"
        return "cpu"

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._llm.close()

    # -- internals --------------------------------------------------------------------------------------

    def _grammar(self, schema: Mapping[str, Any]) -> Any:
        from llama_cpp.llama_grammar import LlamaGrammar

        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            try:
                self._grammars[key] = LlamaGrammar.from_json_schema(key, verbose=False)
            except Exception as exc:  # the converter raises bare Exceptions/ValueErrors on unsupported schemas
                raise BackendError(
                    f"format: this JSON Schema cannot be turned into a llama.cpp grammar ({exc}); "
                    "simplify the schema (types, properties, required, enum, items)"
                ) from None
        return self._grammars[key]

    def _engine_ms(self) -> float:
        import llama_cpp

        data = llama_cpp.llama_perf_context(self._llm._ctx.ctx)
        return float(data.t_p_eval_ms + data.t_eval_ms)

    def _run(
        self,
        text: str,
        settings: Mapping[str, Any],
        grammar: Any,
        on_token: TokenCallback | None,
        start: float,
        options: dict[str, Any],
    ) -> Generation:
        import llama_cpp

        from pytest_chimera.backends import sampling  # numpy: imported on first use

        llm = self._llm
        tokens = llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)
        n_ctx = llm.n_ctx()
        if len(tokens) >= n_ctx:
            raise BackendError(
                f"the prompt has {len(tokens)} tokens but the context holds {n_ctx} (num_ctx); "
                "raise num_ctx (--chimera-option num_ctx=8192) or shorten the prompt"
            )
        limit = n_ctx - len(tokens)
        max_tokens = int(settings["max_tokens"])
        max_tokens = limit if max_tokens < 0 else min(max_tokens, limit)
        keep = 0
        if self.reuse_prefix and llm.n_tokens > 0:
            for old, new in zip(llm.input_ids[: llm.n_tokens].tolist(), tokens, strict=False):
                if old != new:
                    break
                keep += 1
            keep = min(keep, len(tokens) - 1)  # the last prompt token is always evaluated, for fresh logits
        picker = sampling.build_picker(llm, settings, grammar, native=self.native_sampling)
        vocab = llm._model.vocab
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        scanner = StopScanner(settings["stop"])
        pieces = self._pieces
        chunks: list[str] = []
        generated = 0
        sample_ms = 0.0
        ttft_ms: float | None = None

        def emit(piece: str) -> None:
            if piece:
                chunks.append(piece)
                if on_token is not None:
                    on_token(piece)

        ctx, sync = llm._ctx.ctx, llama_cpp.llama_synchronize
        try:
            llm.n_tokens = keep  # eval() drops the KV cache from here on; keep == 0 clears it
            llama_cpp.llama_perf_context_reset(ctx)
            if max_tokens > 0:
                llm.eval(tokens[keep:])
                sync(ctx)  # llama.cpp books a decode's time when it synchronizes
            prompt_ms = self._engine_ms() if max_tokens > 0 else 0.0
            for i in range(max_tokens):
                t_sample = time.perf_counter()
                token = picker.pick()
                sample_ms += (time.perf_counter() - t_sample) * 1000
                if llama_cpp.llama_vocab_is_eog(vocab, token):
                    break
                generated += 1
                data = pieces.get(token)
                if data is None:
                    data = pieces[token] = llm._model.detokenize([token])
                piece = decoder.decode(data)
                if piece and ttft_ms is None:
                    ttft_ms = (time.perf_counter() - start) * 1000
                emit(scanner.feed(piece))
                if scanner.stopped:
                    break
                if self.timeout is not None and time.perf_counter() - start > self.timeout:
                    raise BackendError(
                        f"llama-cpp: generation exceeded the timeout of {self.timeout:g} s (--chimera-timeout) "
                        f"after {generated} tokens ({len(''.join(chunks))} characters); raise the timeout or "
                        "lower num_predict"
                    )
                if i + 1 < max_tokens:
                    llm.eval([token])
                    sync(ctx)  # books the decode now, so that none of it lands in the next pick's time
            emit(scanner.feed(decoder.decode(b"", final=True)))
            emit(scanner.flush())
            decode_ms = self._engine_ms() - prompt_ms
        finally:
            picker.close()
        wall_ms = (time.perf_counter() - start) * 1000
        eval_ms = decode_ms + sample_ms if generated else 0.0
        load_ms, self._pending_load_ms = self._pending_load_ms, 0.0
        metrics = CallMetrics(
            ttft_ms=ttft_ms,
            tokens_per_s=generated / eval_ms * 1000 if generated and eval_ms > 0 else None,
            prompt_eval_count=len(tokens) - keep if max_tokens > 0 else 0,
            prompt_eval_ms=prompt_ms,
            eval_count=generated,
            eval_ms=eval_ms,
            load_ms=load_ms,
            total_ms=load_ms + wall_ms,
            wall_ms=wall_ms,
            cached_prompt_tokens=keep,
        )
        return Generation(text="".join(chunks), metrics=metrics, backend=NAME, model=self.model, options=options)


def default_model_path() -> Path:
    """The verified packaged gemma3:270m GGUF (assembled into the cache on first use)."""
    return gguf.resolve_packaged(DEFAULT_MODEL).path
