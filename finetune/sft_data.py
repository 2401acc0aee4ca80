"""Training samples for `sat finetune`: an export's QAs, LLaVA-665K-style instruct data to mix in, the seeded
sample order, and the collator that puts the loss on the answer tokens only.

SAT's released loader trained on the whole sequence and, in places, on the wrong choice (reference/SAT.md §4 and
§6); here the labels are -100 everywhere except the assistant answer and the template's end-of-turn tokens.
"""

from __future__ import annotations

import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from finetune.chat import processor_images, render
from qa.prompts import sat_prompt
from sat_env.errors import ConfigError
from sat_env.export import iter_records, open_image
from sat_env.progress import ProgressBar

IGNORE = -100  # label value the loss skips


@dataclass(frozen=True)
class Sample:
    """One supervised exchange: images (paths or encoded bytes, decoded in the collator), the user text and the
    answer the loss is on."""

    images: tuple
    text: str
    answer: str
    family: str = "instruct"
    choices: tuple = ()
    """the options of a multiple-choice QA in prompt order (empty for instruct data and free-form answers)"""


def export_format(root: Path, fmt: str | None) -> str:
    """The export format to train from: the one asked for, else the first present of sat, messages, llava."""
    have = [f for f in ("sat", "messages", "llava") if (root / f).is_dir()]
    if fmt:
        if fmt not in ("sat", "messages", "llava"):
            raise ConfigError(f"unknown format {fmt!r}: use sat, llava or messages")
        if fmt not in have:
            raise ConfigError(f"{root} has no {fmt} export (it has: {', '.join(have) or 'none'}); run `sat export "
                              f"--format {fmt}` or pick another --format")
        return fmt
    if not have:
        raise ConfigError(f"{root} is not a `sat export` folder (no sat/, messages/ or llava/ inside): export a "
                          "dataset first, e.g. `sat export --out DIR --num-qa 5000`")
    return have[0]


def export_split(root: Path, fmt: str, split: str | None) -> str:
    """The split to read: the one asked for, else the folder's only split (an export holds one split per run)."""
    have = sorted(p.name for p in (root / fmt).iterdir() if p.is_dir()) if (root / fmt).is_dir() else []
    if split:
        if split not in have:
            raise ConfigError(f"{root} has no {split!r} split (it has: {', '.join(have) or 'none'}); export it with "
                              f"`sat export --split {split}` or pass --split")
        return split
    if len(have) != 1:
        raise ConfigError(f"{root} holds the splits {', '.join(have) or 'none'}: pass --split")
    return have[0]


def export_samples(root, fmt: str, split: str) -> list[Sample]:
    """The QAs of one split of an export as training samples (the SAT prompt with its shuffled choices)."""
    out = []
    for rec in iter_records(root, fmt, split, load_images="lazy"):
        if not rec["images"] or any(i is None for i in rec["images"]):
            raise ConfigError(f"record {rec['id']} of {root} has no images: fine-tuning a vision-language model needs "
                              "the exported images (re-export without removing the image files)")
        out.append(Sample(tuple(rec["images"]), sat_prompt(rec["question"], rec["answers"]), rec["correct_answer"],
                          rec["family"], tuple(rec["answers"]) if len(rec["answers"]) > 1 else ()))
    return out


_TRAILERS = {b"\xff\xd8": (b"\xff\xd9",), b"\x89P": (b"IEND\xaeB`\x82",)}  # JPEG / PNG: how a whole file ends


def image_problem(ref) -> str | None:
    """Why an image reference (a path, or encoded bytes) cannot be trained on, or None: missing, empty, not an image
    PIL reads, or a JPEG / PNG cut short (its end marker missing: a truncated copy)."""
    from PIL import Image, UnidentifiedImageError

    try:
        data = ref if isinstance(ref, (bytes, bytearray)) else Path(ref).read_bytes()
    except FileNotFoundError:
        return "missing"
    except OSError as e:
        return f"unreadable ({e.strerror or e})"
    if not data:
        return "empty"
    ends = _TRAILERS.get(bytes(data[:2]))
    if ends and not any(bytes(data[-12:]).rstrip(b"\0").endswith(e) for e in ends):
        return "truncated"
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        return f"not a readable image ({e})"
    return None


def check_images(samples: list[Sample], source: str, progress: bool = False) -> None:
    """Refuse a training set that cannot be trained on to the end: no samples, or any image missing or unreadable
    (found now, not at the step that first draws it, after checkpoints were written)."""
    if not samples:
        raise ConfigError(f"{source} holds no training samples: export some QAs first (`sat export`), or check "
                          "--families / --split")
    refs = {r for s in samples for r in s.images if isinstance(r, (str, os.PathLike))}
    blobs = [r for s in samples for r in s.images if isinstance(r, (bytes, bytearray))]
    bar = ProgressBar(len(refs) + len(blobs), enabled=progress and len(refs) + len(blobs) > 2000, unit="image")
    bad = []
    for ref in [*sorted(map(str, refs)), *blobs]:
        why = image_problem(ref)
        if why:
            bad.append((ref if isinstance(ref, str) else "an embedded image", why))
        bar.update(1)
    bar.close()
    if bad:
        shown = "; ".join(f"{r} ({w})" for r, w in bad[:3])
        raise ConfigError(f"{len(bad)} of {len(refs) + len(blobs)} images of {source} cannot be read: {shown}"
                          f"{' ...' if len(bad) > 3 else ''}. `sat stats DIR --verify` lists what differs from the "
                          "export's manifest; `sat export ... --resume` makes failing shards again")


_MIX_HELP = ('expected LLaVA-665K\'s format: a JSON list of {"id": ..., "image": "relative/path.jpg" (optional), '
             '"conversations": [{"from": "human", "value": "<image>\\nQuestion?"}, {"from": "gpt", "value": '
             '"Answer."}, ...]}')


def instruct_samples(path, image_root=None) -> list[Sample]:
    """Single-turn samples from an instruct file in LLaVA-665K's JSON format (as SAT mixes it: each human/gpt pair
    of a conversation is one sample, with the conversation's image). Image paths are relative to ``image_root``
    (default: the file's folder); items whose image file is missing are an error."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"instruct mix file {path} does not exist; {_MIX_HELP}")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path} is not JSON ({e}); {_MIX_HELP}") from e
    if not isinstance(data, list) or not data:
        raise ConfigError(f"{path} holds no list of conversations; {_MIX_HELP}")
    root = Path(image_root) if image_root else path.parent
    out, missing = [], []
    for k, item in enumerate(data):
        conv = item.get("conversations") if isinstance(item, dict) else None
        ok = (isinstance(conv, list) and len(conv) >= 2 and len(conv) % 2 == 0
              and all(isinstance(t, dict) and isinstance(t.get("value"), str) for t in conv)
              and all(t.get("from") == ("human" if i % 2 == 0 else "gpt") for i, t in enumerate(conv)))
        if not ok:
            raise ConfigError(f"{path}: item {k} is not a conversation of alternating human/gpt turns; {_MIX_HELP}")
        # one path (LLaVA-1.5, LLaVA-665K) or a list of them (LLaVA-NeXT / OneVision, as `sat export` writes the
        # two-image questions)
        names = item.get("image") or []
        paths = [root / n for n in ([names] if isinstance(names, str) else names)]
        gone = [str(p) for p in paths if not p.is_file()]
        if gone:
            missing += gone
            continue
        images = tuple(map(str, paths))
        for human, gpt in zip(conv[0::2], conv[1::2]):
            text = human["value"].replace("<image>", "").strip()
            out.append(Sample(images, text, gpt["value"].strip()))
    if missing:
        raise ConfigError(f"{len(missing)} image(s) of {path} are missing, e.g. {missing[0]}: pass the folder the "
                          "paths are relative to with --mix-image-root")
    return out


class SampleOrder:
    """Which sample comes at each global position: epoch after epoch of seeded shuffles of the export's samples,
    with instruct samples interleaved at ``mix_ratio`` (SAT's CustomMix draws the source of every item with
    p = 0.4 / 0.6). The order depends only on (seed, epoch), so a resumed run sees the same samples."""

    def __init__(self, primary: int, instruct: int, mix_ratio: float, seed: int):
        if not 0 <= mix_ratio < 1:
            raise ConfigError(f"--mix-ratio must be in [0, 1), got {mix_ratio}")
        self.primary, self.instruct, self.seed = primary, instruct, seed
        self.ratio = mix_ratio if instruct else 0.0
        # epoch length: every export sample once, plus the instruct share of the whole
        self.epoch_len = int(math.ceil(primary / (1 - self.ratio)))
        self._cache: dict[int, list[tuple[int, int]]] = {}

    def epoch(self, e: int) -> list[tuple[int, int]]:
        """[(source, index)] of epoch e: source 0 = export, 1 = instruct."""
        if e not in self._cache:
            rng = np.random.default_rng([self.seed, e])
            perm = rng.permutation(self.primary)
            n_inst = self.epoch_len - self.primary
            slots = np.zeros(self.epoch_len, bool)
            slots[rng.choice(self.epoch_len, size=n_inst, replace=False)] = True
            inst = rng.permutation(self.instruct)[np.arange(n_inst) % max(1, self.instruct)] if n_inst else []
            order, pi, ii = [], 0, 0
            for is_inst in slots:
                if is_inst:
                    order.append((1, int(inst[ii])))
                    ii += 1
                else:
                    order.append((0, int(perm[pi])))
                    pi += 1
            self._cache = {e: order}  # one epoch at a time is all a run needs
        return self._cache[e]

    def at(self, g: int) -> tuple[int, int]:
        return self.epoch(g // self.epoch_len)[g % self.epoch_len]


def collate(processor, samples: list[Sample], max_length: int | None = None) -> dict:
    """Model inputs for a batch with labels on the answer only.

    The chat template renders prompt + answer; the answer part is the text after the rendered prompt (with the
    generation prompt), tokenised alone to count its tokens, which are the last non-padding tokens of each
    right-padded row. Everything else (system text, question, image tokens, padding) gets IGNORE."""
    tok = processor.tokenizer
    full, n_answer = [], []
    for s in samples:
        prompt = render(processor, len(s.images), s.text)
        whole = render(processor, len(s.images), s.text, s.answer)
        if not whole.startswith(prompt):
            raise ConfigError("the processor's chat template renders the answer turn in a way SAT-Env cannot split "
                              "from the prompt (the full text does not start with the generation prompt)")
        full.append(whole)
        n_answer.append(len(tok(whole[len(prompt):], add_special_tokens=False)["input_ids"]))
    side, tok.padding_side = tok.padding_side, "right"
    try:
        images = processor_images([[open_image(i) for i in s.images] for s in samples])
        enc = processor(text=full, images=images, padding=True, return_tensors="pt")
    finally:
        tok.padding_side = side
    ids, mask = enc["input_ids"], enc["attention_mask"]
    if max_length and ids.shape[1] > max_length:
        raise ConfigError(f"a sample is {ids.shape[1]} tokens long, over --max-length {max_length}: raise it or use "
                          "smaller images")
    labels = ids.clone()
    labels[:] = IGNORE
    lengths = mask.sum(1).tolist()
    for r, (n, ln) in enumerate(zip(n_answer, lengths)):
        labels[r, ln - n:ln] = ids[r, ln - n:ln]
    enc["labels"] = labels
    return dict(enc)
