"""What every exported-model backend shares: the sentence-transformers folder, tokenisation, length-sorted batches, pooling.

The ONNX Runtime (onnx.py) and OpenVINO (openvino.py) embedders run the same ONNX export of a
sentence-transformers model; they differ only in how a batch of token ids becomes hidden states.
What happens around that is what sentence-transformers does for MiniLM, written once here: the
model's fast tokenizer (tokenizer.json) truncating at max_seq_length, batches of texts sorted by
length (little padding), mean pooling over the attention mask (or the [CLS] token where the
model's pooling config says so), L2 normalisation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from rag.errors import ConfigError

__all__ = ["Batch", "ExportedEmbedder", "model_folder"]

_SORT_CHUNK = 4096  # texts tokenised and length-sorted together (bounded memory for any call size)

# one padded batch: model inputs by name, and the positions of its texts in the call
Batch = tuple[dict[str, np.ndarray], np.ndarray]
# (position of the batch in the call, its last_hidden_state): pools it and stores the vectors
Sink = Callable[[int, np.ndarray], None]


def model_folder(model: str, backend: str) -> Path:
    """The local folder of a sentence-transformers model an exported backend can run ('bundled-minilm' = the packaged MiniLM)."""
    from rag.knowledge.embedders.sentence_transformers import bundled_minilm_path

    folder = bundled_minilm_path() if model == "bundled-minilm" else Path(model)
    if not (folder / "config.json").exists() or not (folder / "tokenizer.json").exists():
        raise ConfigError(f"CLINRAG_EMBEDDER=sentence-transformers:{model}: CLINRAG_EMBED_BACKEND={backend} needs a local model "
                          "folder with config.json and tokenizer.json; use CLINRAG_EMBED_BACKEND=torch for other models")
    return folder


def _read_st_config(folder: Path, backend: str) -> tuple[int, str, bool]:
    """(max_seq_length, pooling, normalize) from the sentence-transformers files of a model folder."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        st_conf = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"CLINRAG_EMBED_BACKEND={backend}: {folder} is not a sentence-transformers model folder ({exc}); "
                          "use CLINRAG_EMBED_BACKEND=torch for other models") from None
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    pooling, normalize = "mean", "Normalize" in kinds
    pool_mod = next((m for m in modules if str(m.get("type", "")).endswith("Pooling")), None)
    if pool_mod is not None:
        conf = json.loads((folder / pool_mod["path"] / "config.json").read_text(encoding="utf-8"))
        modes = [k for k, v in conf.items() if k.startswith("pooling_mode_") and v]
        if modes == ["pooling_mode_mean_tokens"]:
            pooling = "mean"
        elif modes == ["pooling_mode_cls_token"]:
            pooling = "cls"
        else:
            raise ConfigError(f"CLINRAG_EMBED_BACKEND={backend}: pooling {modes} of {folder} is not supported (mean or CLS); "
                              "use CLINRAG_EMBED_BACKEND=torch")
    if set(kinds) - {"Transformer", "Pooling", "Normalize"}:
        raise ConfigError(f"CLINRAG_EMBED_BACKEND={backend}: modules {kinds} of {folder} are not supported; "
                          "use CLINRAG_EMBED_BACKEND=torch")
    return int(st_conf.get("max_seq_length") or 512), pooling, normalize


class ExportedEmbedder:
    """Tokenise, sort by length, pad, hand batches to `_run`, pool; a backend implements `_run` (and `set_threads`)."""

    backend = ""  # CLINRAG_EMBED_BACKEND value, for messages
    _inputs: set[str]  # the model's input names (token_type_ids is optional)

    def __init__(self, model: str, *, batch_size: int) -> None:
        self.folder = model_folder(model, self.backend)
        self.max_tokens, self._pooling, self._normalize = _read_st_config(self.folder, self.backend)
        config = json.loads((self.folder / "config.json").read_text(encoding="utf-8"))
        self.dim = int(config["hidden_size"])
        from tokenizers import Tokenizer

        self._count_tok = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self._count_tok.no_truncation()
        self._count_tok.no_padding()
        self._tok = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self._tok.enable_truncation(self.max_tokens)
        self._tok.no_padding()
        self._batch_size = batch_size

    def _run(self, batches: Iterable[dict[str, np.ndarray]], sink: Sink) -> None:
        """Run the model on each batch (in any order, on any thread) and call sink(position, last_hidden_state)."""
        raise NotImplementedError

    def count_tokens(self, text: str) -> int:
        # with [CLS] and [SEP], which count against max_seq_length
        return len(self._count_tok.encode(text).ids)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), _SORT_CHUNK):
            part = list(texts[start:start + _SORT_CHUNK])
            out[start:start + len(part)] = self._embed(part)
        vectors: list[list[float]] = out.tolist()
        return vectors

    def _batches(self, texts: list[str]) -> Iterator[Batch]:
        encs = self._tok.encode_batch(texts)
        lengths = np.array([len(e.ids) for e in encs])
        order = np.argsort(-lengths, kind="stable")  # longest first: little padding, the big batch's memory early
        for i in range(0, len(order), self._batch_size):
            idx = order[i:i + self._batch_size]
            width = int(lengths[idx].max())
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, j in enumerate(idx):
                n = int(lengths[j])
                ids[row, :n] = encs[j].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            yield feed, idx

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        rows: list[tuple[np.ndarray, np.ndarray]] = []  # (text positions, attention mask) per batch, for the sink

        def feeds() -> Iterator[dict[str, np.ndarray]]:
            for feed, idx in self._batches(texts):  # made while earlier batches run (a backend may run them asynchronously)
                rows.append((idx, feed["attention_mask"]))
                yield feed

        def sink(i: int, hidden: np.ndarray) -> None:
            idx, mask = rows[i]
            out[idx] = self._pool(hidden, mask)

        self._run(feeds(), sink)
        return out

    def _pool(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self._pooling == "cls":
            vec = hidden[:, 0, :].astype(np.float32)
        else:  # sentence-transformers: sum over unmasked tokens / clamp(count, 1e-9)
            m = mask[:, :, None].astype(np.float32)
            vec = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        if self._normalize:  # torch.nn.functional.normalize: x / max(||x||, 1e-12)
            vec = vec / np.clip(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12, None)
        return np.asarray(vec, dtype=np.float32)
