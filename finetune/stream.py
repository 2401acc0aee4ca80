"""An endless training source: fresh spatial QAs from the QA envs' question stream, so that a model trained on it never
sees the same house twice.

    stream = EnvStream(mix="sat", size=128, seed=0, workers=2)
    for sample in stream.iter_from(0): ...          # finetune.sft_data.Sample, endless
    parse_stream("env:left_right,above_below")      # {"families": ["above_below", "left_right"]}

Samples are made in *chunks* of ``chunk`` QAs. Chunk c has its own question stream over its own house seeds (the upper
half of the split's seed range, so a stream never meets the houses of an export's first 500 shards) and its own reset
seed ``SeedSequence([seed, split, c])``, as an export shard has: a chunk depends only on the settings and c.
``block_chunks`` consecutive chunks form a block whose samples are shuffled with ``default_rng([seed, 7, b])`` (a
batch mixes houses); sample g of the stream is position g of the concatenated shuffled blocks. ``iter_from(start)``
generates from the block of ``start`` and skips to it, so a run resumes at a sample index and sees what an
uninterrupted run would.

With ``workers >= 1`` chunks are made in a torch DataLoader of spawned processes (a rendering context does not survive
fork): worker w makes chunks c0 + w, c0 + w + W, ... and the loader hands them back round-robin, i.e. in chunk order
(checked on every chunk), so the sequence does not depend on the number of workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING

import numpy as np

from qa.mixes import NAMED, resolve_mix
from qa.prompts import sat_prompt
from qa.sampler import load_families
from sat_env.errors import ConfigError
from sat_env.splits import QUESTIONS_PER_HOUSE, SPLIT_CODE, SPLIT_HOUSE_BASE, SPLIT_RANGE, SPLITS
from sat_env.tasks.questions import QuestionStream

if TYPE_CHECKING:
    from finetune.sft_data import Sample

STREAM_PREFIX = "env:"
STREAM_HOUSE_OFFSET = 500_000  # a stream's houses start half-way into the split's range (exports use the first half)
BLOCK_SALT = 7  # the block shuffle's seed is [seed, BLOCK_SALT, block]
# bump when the chunk, house or shuffle scheme, or the QA envs' sampling (SAMPLING_SCHEME), changes (a resume checks
# describe()); 2: the QA envs' child random streams
STREAM_SCHEME = 2


def parse_stream(data: str) -> dict | None:
    """What an ``env:...`` training source asks for: None when `data` is not one (a path to an export, say);
    ``{"mix": NAME}`` for a named mix (``env:sat``, ``env:static``, ``env:dynamic``, ``env:nav``);
    ``{"families": [...]}`` for a comma list of families (``env:left_right,above_below``). An unknown mix or family
    is a ConfigError naming the valid ones."""
    if not isinstance(data, str) or not data.startswith(STREAM_PREFIX):
        return None

    rest = data[len(STREAM_PREFIX):].strip()
    available = load_families()
    usage = (f"use {STREAM_PREFIX}MIX with MIX one of {', '.join(sorted(NAMED))}, or {STREAM_PREFIX}FAMILY[,FAMILY...] "
             f"with families from: {', '.join(sorted(available))}")
    if not rest:
        raise ConfigError(f"{data!r} names no mix or family: {usage}")
    if rest in NAMED:
        resolve_mix(rest, None, available=available)  # a named mix with none of its families installed is an error
        return {"mix": rest}
    families = [f.strip() for f in rest.split(",")]
    if any(not f for f in families):
        raise ConfigError(f"{data!r} has an empty family name: {usage}")
    unknown = sorted({f for f in families if f not in available})
    if unknown:
        raise ConfigError(f"{data!r}: unknown mix or question families {unknown}; {usage}")
    return {"families": sorted(set(families))}


class EnvStream:
    """Endless, deterministic, resumable training samples from the question stream (see the module docstring).

    Args:
        mix: a named mix (``"sat"``, ``"static"``, ``"dynamic"``, ``"nav"``) or a dict of family weights; ignored
            when `families` is given.
        families: families to draw with equal weights.
        size: image size in pixels (int or (width, height)).
        seed: the stream's seed: same seed and settings, same samples (image bytes included).
        split: ``train``, ``val`` or ``test``: which house-seed range the houses come from.
        workers: processes making chunks (0: in this process, no DataLoader).
        chunk: samples per chunk (one env, ``max(2, 2 * chunk // QUESTIONS_PER_HOUSE)`` houses).
        block_chunks: chunks per shuffle block.
    """

    def __init__(self, mix="sat", families=None, size=128, seed=0, split="train", workers=1, chunk=64,
                 block_chunks=8):
        resolve_mix(mix, families, available=load_families())  # ConfigError for an unknown mix or family now
        self.families = sorted(set(families)) if families else None
        self.mix = None if self.families else (dict(mix) if isinstance(mix, dict) else (mix or "sat"))
        if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
            self.size = int(size)
            w = h = self.size
        elif isinstance(size, (tuple, list)) and len(size) == 2:
            self.size = [int(size[0]), int(size[1])]
            w, h = self.size
        else:
            raise ConfigError(f"size must be an int or (width, height), got {size!r}")
        if not (16 <= w <= 2048 and 16 <= h <= 2048):
            raise ConfigError(f"size must be 16..2048 pixels, got {size}")
        if split not in SPLITS:
            raise ConfigError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
        for name, v, lo in (("seed", seed, 0), ("workers", workers, 0), ("chunk", chunk, 1),
                            ("block_chunks", block_chunks, 1)):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < lo:
                raise ConfigError(f"{name} must be an int >= {lo}, got {v!r}")
        self.seed, self.split, self.workers = int(seed), split, int(workers)
        self.chunk, self.block_chunks = int(chunk), int(block_chunks)
        self.houses_per_chunk = max(2, 2 * self.chunk // QUESTIONS_PER_HOUSE)
        self.house_base = SPLIT_HOUSE_BASE[split] + STREAM_HOUSE_OFFSET
        self.block_len = self.chunk * self.block_chunks
        # chunks whose houses stay inside the split's range, and the whole blocks they make
        self.max_chunks = (SPLIT_HOUSE_BASE[split] + SPLIT_RANGE - self.house_base) // self.houses_per_chunk
        self.max_blocks = self.max_chunks // self.block_chunks
        self.max_samples = self.max_blocks * self.block_len
        if self.max_blocks < 1:
            raise ConfigError(f"chunk {self.chunk} x block_chunks {self.block_chunks} needs more houses than the "
                              f"{split} split's range holds: use a smaller chunk or block_chunks")

    # --- settings ---------------------------------------------------------------------------------------------
    def describe(self) -> dict:
        """The settings that decide the samples, JSON-able (a run records them; a resume checks them). The number
        of workers is not one of them: it does not change the sequence."""
        return {"source": "env", "scheme": STREAM_SCHEME, "mix": self.mix, "families": self.families,
                "size": self.size, "seed": self.seed, "split": self.split, "chunk": self.chunk,
                "block_chunks": self.block_chunks, "questions_per_house": QUESTIONS_PER_HOUSE,
                "houses_per_chunk": self.houses_per_chunk, "house_base": self.house_base,
                "max_samples": self.max_samples}

    def _settings(self) -> dict:
        """What a worker needs to make a chunk (plain data: it is pickled into spawned processes)."""
        return {"mix": self.mix, "families": self.families, "size": self.size, "seed": self.seed,
                "split": self.split, "chunk": self.chunk, "houses_per_chunk": self.houses_per_chunk,
                "house_base": self.house_base, "max_chunks": self.max_chunks, "max_samples": self.max_samples}

    def __repr__(self) -> str:
        return f"EnvStream({', '.join(f'{k}={v!r}' for k, v in self.describe().items())}, workers={self.workers})"

    # --- samples ----------------------------------------------------------------------------------------------
    def chunk_samples(self, c: int) -> list[Sample]:
        """Chunk c's samples in generation order (before the block shuffle), made in this process."""
        return make_chunk(self._settings(), c)

    def iter_from(self, start: int = 0) -> Iterator[Sample]:
        """Samples number start, start + 1, ... (endless up to ``max_samples``, where a ConfigError ends it). The same
        samples ``iter_from(0)`` yields from position `start` on. Close the iterator (or let it go) to stop the
        workers."""
        if not isinstance(start, (int, np.integer)) or isinstance(start, bool) or start < 0:
            raise ConfigError(f"start must be an int >= 0, got {start!r}")
        start = int(start)
        if start >= self.max_samples:
            raise ConfigError(self._exhausted())
        return self._iter(start)

    def take(self, start: int, n: int) -> list[Sample]:
        """Samples start .. start + n - 1 as a list (the workers are stopped when it returns)."""
        it = self.iter_from(start)
        try:
            return list(islice(it, max(0, int(n))))
        finally:
            it.close()

    def _exhausted(self) -> str:
        return (f"the stream ({self.split} split, chunk {self.chunk}, {self.houses_per_chunk} houses per chunk) can "
                f"give {self.max_samples} samples before its houses leave the {self.split} split's seed range: use "
                "another seed for more")

    def _iter(self, start: int) -> Iterator[Sample]:
        b0, skip = divmod(start, self.block_len)
        blocks = self._blocks(b0)
        try:
            for block in blocks:
                yield from (block[skip:] if skip else block)
                skip = 0
        finally:
            blocks.close()

    def _blocks(self, b0: int) -> Iterator[list[Sample]]:
        """Shuffled blocks b0, b0 + 1, ...; a ConfigError past the last whole block inside the house range."""
        chunks = self._chunks(b0 * self.block_chunks)
        try:
            for b in range(b0, self.max_blocks):
                block: list = []
                for c in range(b * self.block_chunks, (b + 1) * self.block_chunks):
                    got, samples = next(chunks)
                    if got != c:  # the DataLoader's round-robin is what keeps chunk order: never trust it blindly
                        raise RuntimeError(f"EnvStream received chunk {got} where chunk {c} was due")
                    block.extend(samples)
                perm = np.random.default_rng([self.seed, BLOCK_SALT, b]).permutation(len(block))
                yield [block[i] for i in perm]
            raise ConfigError(self._exhausted())
        finally:
            chunks.close()

    def _chunks(self, c0: int) -> Iterator[tuple[int, list[Sample]]]:
        """(c, chunk c's samples) for c = c0, c0 + 1, ... up to max_chunks, from this process or the workers."""
        data = _dataset_class()(self._settings(), c0, self.max_chunks)
        if self.workers == 0:
            yield from iter(data)
            return
        from torch.utils.data import DataLoader

        loader = DataLoader(data, batch_size=None, num_workers=self.workers, multiprocessing_context="spawn",
                            prefetch_factor=2, persistent_workers=False, collate_fn=_identity,
                            worker_init_fn=_init_worker)
        it = iter(loader)
        try:
            yield from it
        finally:  # an abandoned stream must not leave its workers running (or wait for their chunks)
            shutdown = getattr(it, "_shutdown_workers", None)
            if shutdown is not None:
                shutdown()
            del it


def make_chunk(settings: dict, c: int) -> list[Sample]:
    """Chunk c of a stream with these settings (``EnvStream._settings()``): ``chunk`` samples from one question stream
    (sat_env.tasks.questions) over the chunk's own houses, seeded with the chunk's own seed. Deterministic in
    (settings, c)."""
    from finetune.sft_data import Sample

    if not 0 <= c < settings["max_chunks"]:
        raise ConfigError(f"chunk {c} is outside the stream: its houses would leave the {settings['split']} split's "
                          f"seed range (the stream can give {settings['max_samples']} samples)")
    n_houses = settings["houses_per_chunk"]
    lo = settings["house_base"] + c * n_houses
    seed = int(np.random.SeedSequence([settings["seed"], SPLIT_CODE[settings["split"]], c]).generate_state(1)[0])
    with QuestionStream.open(seed, settings["mix"] or "sat", settings["families"], size=settings["size"],
                             questions_per_house=QUESTIONS_PER_HOUSE, houses=list(range(lo, lo + n_houses))) as stream:
        out: list = []
        for _, qa in islice(stream, settings["chunk"]):
            choices = list(qa.choices)
            out.append(Sample(images=tuple(np.array(qa.frames[r], dtype=np.uint8, order="C", copy=True)
                                           for r in qa.images),
                              text=sat_prompt(qa.question, choices), answer=choices[qa.correct], family=qa.family,
                              choices=tuple(choices) if len(choices) > 1 else ()))
    return out


# --- DataLoader plumbing --------------------------------------------------------------------------------------------
def _identity(x):
    """The DataLoader's collate_fn: a chunk goes back as it is (no conversion of its arrays to tensors)."""
    return x


def _init_worker(worker_id: int) -> None:
    """One thread per worker (the workers already fill the cores); llvmpipe rasterizes in the calling thread (see
    sat_env.export.job._init_worker)."""
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ.setdefault("LP_NUM_THREADS", "0")
    import torch

    torch.set_num_threads(1)


_CHUNK_DATASET = None


def _dataset_class():
    """The IterableDataset of chunks, made on first use so that importing this module does not import torch (it is
    an optional dependency). ``finetune.stream._ChunkDataset`` names it for pickling (see __getattr__)."""
    global _CHUNK_DATASET
    if _CHUNK_DATASET is not None:
        return _CHUNK_DATASET
    try:
        from torch.utils.data import IterableDataset, get_worker_info
    except ImportError:  # workers=0 needs no torch
        IterableDataset, get_worker_info = object, lambda: None

    class _ChunkDataset(IterableDataset):
        """Chunks c0, c0 + 1, ... < c_end of a stream; as worker w of W, chunks c0 + w, c0 + w + W, ..."""

        def __init__(self, settings: dict, c0: int, c_end: int):
            self.settings, self.c0, self.c_end = settings, c0, c_end

        def __iter__(self):
            info = get_worker_info()
            w, n = (0, 1) if info is None else (info.id, info.num_workers)
            for c in range(self.c0 + w, self.c_end, n):
                yield c, make_chunk(self.settings, c)

    _ChunkDataset.__module__ = __name__
    _ChunkDataset.__qualname__ = "_ChunkDataset"
    _CHUNK_DATASET = _ChunkDataset
    return _ChunkDataset


def __getattr__(name: str):
    if name == "_ChunkDataset":  # unpickling a chunk dataset in a spawned worker
        return _dataset_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
