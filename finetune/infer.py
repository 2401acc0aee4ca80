"""Loading a local vision-language checkpoint (optionally with a LoRA adapter) and answering prompts with it.

One path for every consumer: ``sat evaluate``, the training loop's evaluation and the model policy
(agents/model_policy.py). Prompts are rendered by the processor's chat template (user turn: the images, then the
text; assistant turn: the answer), so training and inference see the same text.

    from finetune.infer import Predictor
    p = Predictor("runs/tiny")                   # a full model, or a LoRA output of `sat finetune`
    p.generate([([img], 'Is the chair left or right of the table? ...')])   # -> ["left"]
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

from finetune.chat import processor_images, render
from sat_env.errors import ConfigError

RUN_FILE = "sat_finetune.json"  # written by `sat finetune` next to its adapter / model: base path and config


def resolve(path, adapter=None) -> tuple[Path, Path | None]:
    """(base model dir, adapter dir or None) for a model path that is a full checkpoint or a `sat finetune` LoRA
    output (which records its base in sat_finetune.json / adapter_config.json)."""
    path = Path(path)
    if not path.is_dir():
        raise ConfigError(f"model directory {path} does not exist: pass a local Hugging Face checkpoint directory "
                          "(config.json, weights, processor files) or the --out folder of `sat finetune`")
    if adapter is None and (path / "adapter_config.json").is_file() and not (path / "config.json").is_file():
        adapter = path
        base = None
        if (path / RUN_FILE).is_file():
            base = json.loads((path / RUN_FILE).read_text()).get("base_model")
        if base is None:
            base = json.loads((path / "adapter_config.json").read_text()).get("base_model_name_or_path")
        if not base or not Path(base).is_dir():
            raise ConfigError(f"{path} is a LoRA adapter whose base model ({base!r}) is not a local directory: pass "
                              "the base with --model BASE --adapter {path}")
        path = Path(base)
    if adapter is not None and not (Path(adapter) / "adapter_config.json").is_file():
        raise ConfigError(f"adapter directory {adapter} has no adapter_config.json: pass the --out folder of a "
                          "LoRA run of `sat finetune` (or any peft adapter)")
    if not (path / "config.json").is_file():
        raise ConfigError(f"{path} has no config.json: it is not a Hugging Face checkpoint directory")
    return path, (Path(adapter) if adapter is not None else None)


def load_processor(path):
    """AutoProcessor of a checkpoint, which must include an image processor."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoProcessor

    try:
        processor = AutoProcessor.from_pretrained(path)
    except (OSError, ValueError, KeyError) as e:
        raise ConfigError(f"cannot load a processor from {path}: {e}. A vision-language checkpoint needs its "
                          "processor files (preprocessor_config.json / processor_config.json, tokenizer files)") from e
    if getattr(processor, "image_processor", None) is None:
        raise ConfigError(f"{path} has no image processor (preprocessor_config.json or processor_config.json with an "
                          "image_processor entry): it is a text-only checkpoint or its processor files are missing; "
                          "copy them from the model's original repository")
    if getattr(processor, "chat_template", None) is None and processor.tokenizer.chat_template is None:
        raise ConfigError(f"{path} has no chat template (chat_template.jinja or chat_template in "
                          "tokenizer_config.json): SAT-Env renders prompts with it; add the model family's template")
    return processor


def pick_device(device: str | None = None) -> str:
    import torch

    if device:
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(path, adapter=None, device: str | None = None, dtype: str = "auto", trainable: bool = False):
    """(model, processor) from a local checkpoint (plus a peft adapter), in eval mode on ``device``.

    Args:
        path: checkpoint directory, or the output of a LoRA run of `sat finetune`.
        adapter: a peft adapter directory to apply (found automatically for `sat finetune` outputs).
        device: "cpu", "cuda", ... (default: cuda when available).
        dtype: "auto" (bf16 on a GPU that supports it, else fp32), "fp32", "bf16" or "fp16".
        trainable: keep the adapter trainable (resuming training) instead of eval mode.
    """
    from transformers import AutoModelForImageTextToText

    base, adapter = resolve(path, adapter)
    if is_small(base):
        return _load_small(base, adapter, pick_device(device), trainable)
    processor = load_processor(base)
    device = pick_device(device)
    torch_dtype = torch_dtype_for(dtype, device)
    try:
        model = AutoModelForImageTextToText.from_pretrained(base, dtype=torch_dtype)
    except ValueError as e:
        raise ConfigError(f"{base} is not an image-text-to-text checkpoint ({e}); SAT-Env loads models through "
                          "AutoModelForImageTextToText (LLaVA, LLaVA-NeXT, Qwen2-VL/2.5-VL, Idefics3/SmolVLM, "
                          "PaliGemma, ...)") from e
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter, is_trainable=trainable)
    model.to(device)
    if not trainable:
        model.eval()
    return model, processor


def is_small(path) -> bool:
    """Whether a checkpoint directory holds a SAT-Small model (``sat finetune --model small``)."""
    try:
        from finetune.small import MODEL_TYPE

        return json.loads((Path(path) / "config.json").read_text()).get("model_type") == MODEL_TYPE
    except (OSError, ValueError):
        return False


def _load_small(base: Path, adapter, device: str, trainable: bool):
    """(model, None): a SAT-Small checkpoint needs no processor (it reads SAT prompts itself)."""
    if adapter is not None:
        raise ConfigError(f"{base} is a SAT-Small model, which is trained fully: it takes no --adapter")
    from finetune.small import SatSmallModel

    model = SatSmallModel.from_pretrained(base).to(device)
    if not trainable:
        model.eval()
    return model, None


def torch_dtype_for(dtype: str, device: str):
    import torch

    if dtype == "auto":
        ok = device.startswith("cuda") and torch.cuda.is_available() and torch.cuda.is_bf16_supported()
        return torch.bfloat16 if ok else torch.float32
    table = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
    if dtype not in table:
        raise ConfigError(f"unknown dtype {dtype!r}: use auto, fp32, bf16 or fp16")
    return table[dtype]


class Predictor:
    """Greedy answers of a model to (images, text) prompts, batched with left padding; images may be PIL images,
    file paths or encoded bytes (``sat_env.export.open_image``)."""

    def __init__(self, path, adapter=None, device: str | None = None, dtype: str = "auto", model=None,
                 processor=None):
        if model is None:
            model, processor = load_model(path, adapter, device, dtype)
        self.model, self.processor = model, processor
        self.device = next(model.parameters()).device
        self.small = hasattr(model, "choose") and hasattr(model, "answer")  # SAT-Small picks options itself

    def _inputs(self, enc) -> dict:
        """A processor's batch on the model's device, pixel values in the model's dtype."""
        enc = {k: v.to(self.device) for k, v in enc.items()}
        if "pixel_values" in enc:
            enc["pixel_values"] = enc["pixel_values"].to(next(self.model.parameters()).dtype)
        return enc

    @contextmanager
    def _evaluating(self):
        """Eval mode and no autograd for the block; a model that was training goes back to training after."""
        import torch

        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                yield
        finally:
            if was_training:
                self.model.train()

    def generate(self, samples: list[tuple[list, str]], max_new_tokens: int = 16, batch_size: int = 8) -> list[str]:
        """The decoded answer (special tokens removed, stripped) for each (images, text) sample; for SAT-Small, the
        text of the option it picks among those the SAT prompt lists."""
        from sat_env.export import open_image

        if self.small:
            return self.model.answer(samples, batch_size=max(batch_size, 32))

        tok = self.processor.tokenizer
        side, tok.padding_side = tok.padding_side, "left"
        out: list[str] = []
        try:
            with self._evaluating():
                for i in range(0, len(samples), batch_size):
                    chunk = samples[i:i + batch_size]
                    texts = [render(self.processor, len(imgs), text) for imgs, text in chunk]
                    images = processor_images([[open_image(im) for im in imgs] for imgs, _ in chunk])
                    enc = self._inputs(self.processor(text=texts, images=images, padding=True, return_tensors="pt"))
                    ids = self.model.generate(**enc, do_sample=False, num_beams=1, max_new_tokens=max_new_tokens,
                                              pad_token_id=tok.pad_token_id)
                    new = ids[:, enc["input_ids"].shape[1]:]
                    out.extend(t.strip() for t in tok.batch_decode(new, skip_special_tokens=True))
        finally:
            tok.padding_side = side
        return out

    def rank(self, samples: list[tuple[list, str, list[str]]], batch_size: int = 8) -> list[int]:
        """For each (images, text, options): the index of the option the model finds most likely as the whole
        answer (the sum of its tokens' log-probabilities, end-of-turn included), the likelihood protocol of
        multiple-choice evaluation (EmbSpatial-Bench's, lm-eval-harness's ``acc``). It needs no exact reproduction
        of an option's text, so it measures small models that have not learnt to spell every option."""
        import torch

        from finetune.sft_data import IGNORE, Sample, collate

        if self.small:
            return self.model.choose([(list(i), t, list(o)) for i, t, o in samples], batch_size=max(batch_size, 32))
        rows = [(k, Sample(tuple(imgs), text, opt)) for k, (imgs, text, opts) in enumerate(samples) for opt in opts]
        scores: list[list[float]] = [[] for _ in samples]
        with self._evaluating():
            for i in range(0, len(rows), batch_size):
                chunk = rows[i:i + batch_size]
                enc = collate(self.processor, [r for _, r in chunk])
                labels = enc.pop("labels").to(self.device)
                logits = self.model(**self._inputs(enc)).logits[:, :-1].float()
                target = labels[:, 1:]
                mask = target != IGNORE
                logp = torch.log_softmax(logits, -1).gather(-1, target.clamp(min=0).unsqueeze(-1)).squeeze(-1)
                for (k, _), v in zip(chunk, (logp * mask).sum(1).tolist()):
                    scores[k].append(v)
        return [int(max(range(len(sc)), key=sc.__getitem__)) for sc in scores]
