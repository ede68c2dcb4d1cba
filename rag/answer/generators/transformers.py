"""Generator running a local causal LM with Hugging Face transformers, decoding under a JSON grammar.

The checkpoint is a local folder (config.json + weights) or a `.gguf` file that transformers
de-quantises on load. Decoding is constrained by xgrammar to the answer schema
(`rag.answer.prompt.json_schema`), so the model can only emit JSON the schema admits; greedy when
temperature is 0. The schema keeps DraftAdvice's length limits, but a model can still run out of
`max_new_tokens` mid-object: then one repair generation runs under a tighter schema (shorter
texts, fewer items) that fits the budget, and if that fails too the result is `draft=None`.

Nothing heavy is imported until a TransformersGenerator is built.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from rag.answer.generators.base import GenerationRequest, GenerationResult, model_result
from rag.answer.generators.parse import clamp_to_limits, extract_json_object, parse_draft, repair_messages
from rag.answer.prompt import PROMPT_VERSION, json_schema, tighten_schema
from rag.answer.schema import DraftAdvice
from rag.errors import ConfigError, GenerationError

if TYPE_CHECKING:
    import xgrammar

__all__ = ["TransformersGenerator", "resolve_checkpoint", "fallback_chat_template"]

# end-of-turn tokens of common chat formats; used as extra stop tokens when the chat template
# emits them
_TURN_END_TOKENS = ("<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eot|>")


def resolve_checkpoint(path: str) -> tuple[str, str | None]:
    """(folder or cached model id, gguf file name or None) for a CLINRAG_GENERATOR path."""
    p = Path(path).expanduser()
    if p.is_file():
        if p.suffix.lower() != ".gguf":
            raise ConfigError(
                f"CLINRAG_GENERATOR=transformers:{path}: a file must be a .gguf model; "
                "otherwise give the checkpoint folder (with config.json)"
            )
        return str(p.parent), p.name
    if p.is_dir():
        if (p / "config.json").is_file():
            return str(p), None
        ggufs = sorted(x.name for x in p.glob("*.gguf"))
        if len(ggufs) == 1:
            return str(p), ggufs[0]
        hint = f"it holds several .gguf files ({', '.join(ggufs)}); name one" if ggufs else "it has no config.json or .gguf file"
        raise ConfigError(f"CLINRAG_GENERATOR=transformers:{path}: not a model checkpoint folder: {hint}")
    if path.startswith(("/", ".", "~")) or p.suffix.lower() == ".gguf" or path.count("/") > 1:
        raise ConfigError(f"CLINRAG_GENERATOR=transformers:{path}: no such file or folder")
    return path, None  # e.g. "Qwen/Qwen2.5-0.5B-Instruct", loaded only from the local HF cache


def fallback_chat_template(messages: list[dict[str, str]]) -> str:
    """A plain template for tokenizers without one."""
    parts = [f"### {m['role'].capitalize()}\n{m['content']}\n" for m in messages]
    return "\n".join(parts) + "\n### Assistant\n"


class TransformersGenerator:
    """A local model; one generation at a time per instance (a lock serialises `generate`)."""

    backend = "transformers"

    def __init__(
        self,
        path: str,
        max_new_tokens: int = 1024,
        temperature: float = 0.0,
        device: str | None = None,
        *,
        schema: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> None:
        import torch
        import xgrammar as xgr
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.path = str(path)
        folder, gguf_file = resolve_checkpoint(self.path)
        self.gguf_file = gguf_file
        self.model = gguf_file or Path(folder).name or folder
        self.max_new_tokens = int(max_new_tokens)
        self.temperature = float(temperature)
        self.seed = seed
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        if self.device.startswith("cuda"):
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        else:
            dtype = torch.float32
        load_kwargs: dict[str, Any] = {"local_files_only": True}
        if gguf_file:
            load_kwargs["gguf_file"] = gguf_file
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder, **load_kwargs)
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, **load_kwargs)
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(
                f"CLINRAG_GENERATOR=transformers:{path}: cannot load the model locally "
                f"(no downloads are attempted): {type(exc).__name__}: {exc}"
            ) from None
        self._model = model.to(self.device).eval()  # type: ignore[arg-type]  # transformers' stub types .to() for dtype only
        self.dtype = str(dtype).removeprefix("torch.")

        self.stop_token_ids = self._stop_tokens()
        if not self.stop_token_ids:
            raise ConfigError(f"CLINRAG_GENERATOR=transformers:{path}: the tokenizer defines no end-of-sequence token")
        pad = self.tokenizer.pad_token_id
        self.pad_token_id = pad if pad is not None else self.stop_token_ids[0]

        info = xgr.TokenizerInfo.from_huggingface(
            self.tokenizer, vocab_size=self._logits_size(), stop_token_ids=self.stop_token_ids
        )
        self._compiler = xgr.GrammarCompiler(info, max_threads=max(1, min(8, os.cpu_count() or 1)))
        self.schema = schema if schema is not None else json_schema()
        # the repair schema must fit the token budget: ~12 strings of `text_limit` characters
        self._repair_text_limit = max(16, min(300, self.max_new_tokens // 6))
        self._grammars: dict[tuple[bool, int], xgrammar.CompiledGrammar] = {}
        self._lock = threading.Lock()
        self._grammar_for(n_passages=1, repair=False)  # fail at start-up if the schema cannot compile

    # --- public ------------------------------------------------------------------------------

    @property
    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "temperature": self.temperature,
            "max_new_tokens": self.max_new_tokens,
            "device": self.device,
            "dtype": self.dtype,
            "path": self.path,
            "constrained": "xgrammar json_schema",
            "prompt_version": PROMPT_VERSION,
        }
        if self.gguf_file:
            params["gguf_file"] = self.gguf_file
        if self.seed is not None:
            params["seed"] = self.seed
        return params

    def generate(self, request: GenerationRequest) -> GenerationResult:
        with self._lock:
            return self._generate_locked(request.messages, len(request.passages))

    # --- internals ---------------------------------------------------------------------------

    def _generate_locked(self, messages: list[dict[str, str]], n_passages: int) -> GenerationResult:
        params = self.params
        schema, grammar = self._grammar_for(n_passages, repair=False)
        raw, info = self._run(messages, grammar)
        params.update(info)
        draft, error, clamped = self._parse(raw, schema)
        if draft is not None:
            params["clamped"] = clamped
            return model_result(self, draft, raw, params, None, attempts=1)
        assert error is not None
        if not info["finished"]:
            error += f"; the reply was cut off at max_new_tokens={self.max_new_tokens}"
        params["first_attempt_error"] = error
        params["first_attempt_output"] = raw[:2000]
        repair_schema, repair_grammar = self._grammar_for(n_passages, repair=True)
        raw2, info2 = self._run(repair_messages(messages, raw, error), repair_grammar)
        params.update({f"repair_{k}": v for k, v in info2.items()})
        draft, error2, clamped = self._parse(raw2, repair_schema)
        if draft is not None:
            params["clamped"] = clamped
            return model_result(self, draft, raw2, params, None, attempts=2)
        if not info2["finished"]:
            error2 = f"{error2}; the reply was cut off at max_new_tokens={self.max_new_tokens}"
        return model_result(self,
            None, raw2, params, f"unusable output after one repair: {error2} (first attempt: {error})", attempts=2
        )

    @staticmethod
    def _parse(raw: str, schema: dict[str, Any]) -> tuple[DraftAdvice | None, str | None, bool]:
        """(draft, error, clamped): a draft over the pydantic limits is cut to fit once."""
        try:
            return parse_draft(raw), None, False
        except GenerationError as exc:
            error = str(exc)
        try:
            data = extract_json_object(raw)
            return DraftAdvice.model_validate(clamp_to_limits(data, schema)), None, True
        except (GenerationError, ValidationError):
            return None, error, False

    def _run(self, messages: list[dict[str, str]], grammar: xgrammar.CompiledGrammar) -> tuple[str, dict[str, Any]]:
        import torch
        from xgrammar.contrib.hf import LogitsProcessor

        text = self._render(messages)
        enc = self.tokenizer(text, return_tensors="pt", add_special_tokens=False).to(self.device)
        prompt_len = int(enc["input_ids"].shape[1])
        gen_kwargs: dict[str, Any] = {
            "max_new_tokens": self.max_new_tokens,
            "logits_processor": [LogitsProcessor(grammar)],  # single use: one per generate()
            "eos_token_id": self.stop_token_ids,
            "pad_token_id": self.pad_token_id,
            # processors that run before the grammar mask must not remove every allowed token
            "repetition_penalty": 1.0,
            "no_repeat_ngram_size": 0,
            "min_new_tokens": 0,
        }
        if self.temperature > 0:
            gen_kwargs.update(do_sample=True, temperature=self.temperature, top_k=0, top_p=1.0, min_p=None)
            if self.seed is not None:
                torch.manual_seed(self.seed)
        else:
            gen_kwargs["do_sample"] = False
        started = time.monotonic()
        with torch.inference_mode(), _attention_without_cudnn():
            out = self._model.generate(**enc, **gen_kwargs)
        new_tokens = out[0, prompt_len:].tolist()
        finished = bool(new_tokens) and new_tokens[-1] in self.stop_token_ids
        raw = str(self.tokenizer.decode(new_tokens, skip_special_tokens=True))
        info = {
            "prompt_tokens": prompt_len,
            "new_tokens": len(new_tokens),
            "finished": finished,
            "seconds": round(time.monotonic() - started, 3),
        }
        return raw, info

    def _render(self, messages: list[dict[str, str]]) -> str:
        if not getattr(self.tokenizer, "chat_template", None):
            return fallback_chat_template(messages)
        try:
            return self._apply_template(messages)
        except Exception:  # noqa: BLE001 - e.g. templates that reject a system role (Gemma)
            merged = _merge_system(messages)
            try:
                return self._apply_template(merged)
            except Exception:  # noqa: BLE001
                return fallback_chat_template(messages)

    def _apply_template(self, messages: list[dict[str, str]]) -> str:
        text = self.tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True, enable_thinking=False
        )
        if not isinstance(text, str):
            raise TypeError("chat template did not render to text")
        return text

    def _stop_tokens(self) -> list[int]:
        ids: list[int] = []

        def add(value: Any) -> None:
            for v in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(v, int) and v >= 0 and v not in ids:
                    ids.append(v)

        add(self.tokenizer.eos_token_id)
        gen_config = getattr(self._model, "generation_config", None)
        if gen_config is not None:
            add(gen_config.eos_token_id)
        template = getattr(self.tokenizer, "chat_template", None) or ""
        vocab = self.tokenizer.get_vocab()
        for token in _TURN_END_TOKENS:
            if token in template and token in vocab:
                add(vocab[token])
        return ids

    def _logits_size(self) -> int:
        head = self._model.get_output_embeddings()
        weight = getattr(head, "weight", None)
        if weight is not None:
            return int(weight.shape[0])
        return int(self._model.config.vocab_size)

    def _schema_for(self, n_passages: int, repair: bool) -> dict[str, Any]:
        """The schema for a request: citations limited to the passages shown; for the repair,
        texts and lists short enough to fit in max_new_tokens."""
        if repair:
            return tighten_schema(self.schema, text_limit=self._repair_text_limit, list_limit=2, n_passages=n_passages)
        return tighten_schema(self.schema, n_passages=n_passages)

    def _grammar_for(self, n_passages: int, repair: bool) -> tuple[dict[str, Any], xgrammar.CompiledGrammar]:
        schema = self._schema_for(n_passages, repair)
        key = (repair, n_passages)
        grammar = self._grammars.get(key)
        if grammar is None:
            try:
                grammar = self._compiler.compile_json_schema(json.dumps(schema), any_whitespace=False)
            except Exception as exc:  # noqa: BLE001 - xgrammar raises RuntimeError subclasses
                raise ConfigError(f"the answer schema cannot be compiled into a grammar: {exc}") from None
            self._grammars[key] = grammar
        return schema, grammar

    @property
    def description(self) -> str:
        return (f"local language model {self.model} (transformers on {self.device}), "
                "decoding constrained to the answer schema")


def _attention_without_cudnn() -> Any:
    """torch's SDPA with cuDNN attention left out (flash, memory-efficient, math remain).

    On Hopper/Blackwell, torch puts cuDNN attention first for bf16; it builds an execution graph per
    key length and per thread (~45 ms each on an H200), and decoding meets a new key length at every
    token: a request whose lengths the thread had not seen yet took 7.6-10.7 s instead of 0.5-0.8 s for
    ~200 tokens of the tiny test model (bench/RESULTS.md, "GPU check of the model path"). No effect on
    CPU, where cuDNN is not a backend."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])


def _merge_system(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if system and rest and rest[0]["role"] == "user":
        rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
    elif system:
        rest.insert(0, {"role": "user", "content": system})
    return rest
