"""The export job: ExportConfig, shards sampled from the QA envs, written per format (sat_env.export.formats) with
their markers, workers (local processes or Ray), resume, and the manifest. See sat_env/export/__init__.py for the
layout of an export folder."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import multiprocessing as mp
import os
import shutil
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from qa.mixes import resolve_mix
from qa.sampler import load_families
from sat_env import __version__
from sat_env.backends.base import SIZE_RANGE
from sat_env.errors import ConfigError, ExportError
from sat_env.export.card import write_card
from sat_env.export.formats import DEFAULT_FORMATS, FORMATS, get_format
from sat_env.export.integrity import LOCK_FILE, ExportLock, entry_problems, file_digest, named_digest, read_json
from sat_env.export.records import atomic_text
from sat_env.progress import ProgressBar
from sat_env.splits import QUESTIONS_PER_HOUSE, SPLIT_CODE, SPLIT_HOUSE_BASE, SPLITS
from sat_env.tasks.questions import SAMPLING_SCHEME, QuestionStream

# Bumped when a format's files change shape; exports record it, so that one is never finished in another layout.
# 1: until 2026-12-03; 2: the sat format's `image_bytes` (SAT's schema), messages in TRL's layout, the dataset card.
FILE_LAYOUT = 2

HOUSES_PER_SHARD = 1000  # shard k of a split uses seeds base + k * HOUSES_PER_SHARD + [0, HOUSES_PER_SHARD)
MAX_SHARDS = 1000  # 1000 shards x HOUSES_PER_SHARD seeds stay inside a split's 1,000,000-seed range


@dataclass
class ExportConfig:
    """Everything an export depends on (recorded in DIR/export_config.json; a resume must match it)."""

    num_qa: int
    """number of QAs (SAT's train split: 175000)"""
    out: str
    """output folder (new or empty; or an unfinished export with --resume)"""
    mix: str | dict = "sat"
    """sat (SAT's static/dynamic proportions), static, dynamic, nav (the model policy's nav_visible / nav_direction /
    nav_stop questions), or a dict of family weights"""
    families: list[str] | None = None
    """families with equal weights (instead of a named mix)"""
    size: int = 512
    """image size in pixels (SAT: 512)"""
    formats: list[str] = field(default_factory=lambda: list(DEFAULT_FORMATS))
    """formats to write: sat (SAT's parquet schema), llava (LLaVA-NeXT / OneVision records), messages (TRL's vision
    layout), llava15 (LLaVA-1.5: one-image questions only; not written by default)"""
    split: str = field(default="train", metadata={"choices": SPLITS})
    """split (each has its own house seeds)"""
    seed: int = 0
    """export seed"""
    image_format: str = field(default="jpeg", metadata={"choices": ("jpeg", "png")})
    """image files"""
    quality: int = 90
    """JPEG quality"""
    chroma: str = field(default="420", metadata={"choices": ("420", "444")})
    """JPEG chroma subsampling: 420 (what PIL and SAT's generator write) or 444 (full colour resolution: crisper
    coloured box outlines, ~20 % larger files, slower)"""
    shard_size: int = 500
    """QAs per shard"""
    backend: str = field(default="embedded", metadata={"choices": ("embedded", "thor")})
    """simulator: embedded, or thor (AI2-THOR; pip install -e ".[thor]" and a Unity build)"""

    def identity(self) -> dict:
        """What must match for a resume: everything but the output path, plus the image encoder (its version
        decides the image bytes)."""
        d = asdict(self)
        d.pop("out")
        d["image_encoder"] = _encoder_version(self.image_format)
        d["sampling_scheme"] = SAMPLING_SCHEME  # what the seed means (sat_env.tasks.questions)
        d["resolved_mix"] = resolve_mix(self.mix, self.families, available=load_families())  # what "nav" meant
        d["file_layout"] = FILE_LAYOUT  # what the format files look like
        return d

    def check(self) -> None:
        if self.num_qa < 1:
            raise ConfigError(f"--num-qa must be >= 1, got {self.num_qa}")
        lo, hi = SIZE_RANGE
        if not (lo <= self.size <= hi):
            raise ConfigError(f"--size must be {lo}..{hi} pixels (the envs' range), got {self.size}")
        bad = [f for f in self.formats if f not in FORMATS]
        if bad or not self.formats:
            raise ConfigError(f"unknown --format {bad or self.formats}: use a comma list of {', '.join(FORMATS)}")
        if self.split not in SPLITS:
            raise ConfigError(f"--split must be one of {', '.join(SPLITS)}, got {self.split!r}")
        if self.image_format not in ("jpeg", "png"):
            raise ConfigError(f"--image-format must be jpeg or png, got {self.image_format!r}")
        if not (1 <= self.quality <= 100):
            raise ConfigError(f"--quality must be 1..100, got {self.quality}")
        if self.chroma not in ("420", "444"):
            raise ConfigError(f"--chroma must be 420 or 444, got {self.chroma!r}")
        from sat_env.backends import BACKENDS

        if self.backend not in BACKENDS:
            raise ConfigError(f"--backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.backend == "thor":  # fail before anything is written when no AI2-THOR build can be had
            from sat_env.backends.thor_build import find_build

            find_build()
        if not (1 <= self.shard_size <= 100_000):
            raise ConfigError(f"--shard-size must be 1..100000, got {self.shard_size}")
        if self.n_shards > MAX_SHARDS:
            raise ConfigError(f"{self.num_qa} QAs in shards of {self.shard_size} is more than {MAX_SHARDS} shards: "
                              "raise --shard-size")
        if "sat" in self.formats:
            try:
                import pyarrow  # noqa: F401
            except ImportError as e:
                raise ConfigError('the sat (parquet) format needs pyarrow: pip install -e ".[export]", or pass '
                                  "--format llava,messages") from e
        resolve_mix(self.mix, self.families, available=load_families())

    @property
    def n_shards(self) -> int:
        return -(-self.num_qa // self.shard_size)

    def shard_count(self, k: int) -> int:
        return min(self.shard_size, self.num_qa - k * self.shard_size)


def code_version() -> str:
    """The package version plus the git commit when run from a checkout."""
    head = Path(__file__).resolve().parents[2] / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref = (head.parent / ref[5:]).read_text().strip()
        return f"{__version__}+g{ref[:10]}"
    except OSError:
        return __version__


def _encoder_version(fmt: str) -> str:
    """What encoded the images (their bytes depend on it)."""
    if fmt == "jpeg":
        import simplejpeg

        return f"simplejpeg {simplejpeg.__version__}"
    import PIL

    return f"Pillow {PIL.__version__} (PNG, compress_level 6)"


# --- records ----------------------------------------------------------------------------------------------------
def _encode(img: np.ndarray, fmt: str, quality: int, chroma: str = "420") -> bytes:
    if fmt == "jpeg":
        import simplejpeg

        # libjpeg-turbo, baseline, accurate DCT, straight from the uint8 array. Chroma 4:2:0 is what PIL's save
        # (and so SAT's generator) uses by default; 4:4:4 keeps thin coloured marks crisp (mean error on a 3 px box
        # outline at q90: 2 levels instead of 19, though every outline pixel stays nearest its own colour either way).
        return simplejpeg.encode_jpeg(np.ascontiguousarray(img), quality=quality, colorspace="RGB",
                                      colorsubsampling=chroma)
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def sample_shard(cfg: ExportConfig, k: int, progress=None) -> list[dict]:
    """The QA records of shard k (images encoded), deterministic in (config, k)."""
    base = SPLIT_HOUSE_BASE[cfg.split] + k * HOUSES_PER_SHARD
    seed = int(np.random.SeedSequence([cfg.seed, SPLIT_CODE[cfg.split], k]).generate_state(1)[0])
    ext = "jpg" if cfg.image_format == "jpeg" else "png"
    records = []
    n = cfg.shard_count(k)
    with QuestionStream.open(seed, cfg.mix, cfg.families, size=cfg.size, backend=cfg.backend,
                             questions_per_house=QUESTIONS_PER_HOUSE,
                             houses=list(range(base, base + HOUSES_PER_SHARD))) as stream:
        for scene_id, qa in stream:
            rid = f"{cfg.split}-{k:05d}-{len(records):05d}"
            images = [(f"images/{cfg.split}/{k:05d}/{rid}_{i}.{ext}",
                       _encode(qa.frames[role], cfg.image_format, cfg.quality, cfg.chroma))
                      for i, role in enumerate(qa.images)]
            records.append({
                "id": rid, "split": cfg.split, "family": qa.family, "question_type": qa.sat_type,
                "question": qa.question, "answers": list(qa.choices), "correct_index": int(qa.correct),
                "correct_answer": qa.choices[qa.correct], "label": qa.label, "house": scene_id,
                "objects": list(qa.objects), "truth": qa.truth, "numeric": qa.numeric, "unit": qa.unit,
                "image_roles": list(qa.images), "images": images,
            })
            if progress:
                progress(1)
            if len(records) >= n:
                break
    return records


def shard_files(cfg: ExportConfig, k: int) -> dict[str, str]:
    """Relative paths of shard k's files (and its image folder) per format."""
    name = f"shard-{k:05d}"
    out = {"images": f"images/{cfg.split}/{k:05d}"}
    for fmt in cfg.formats:
        out[fmt] = get_format(fmt).shard_path(cfg.split, name)
    return out


def marker_path(cfg: ExportConfig, k: int) -> str:
    return f"shards/{cfg.split}-{k:05d}.json"


def clear_shard(root: Path, cfg: ExportConfig, k: int) -> None:
    """Remove whatever an unfinished shard k left behind."""
    for rel in shard_files(cfg, k).values():
        p = root / rel
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    shutil.rmtree(root / ".partial" / f"{cfg.split}-{k:05d}", ignore_errors=True)


def write_shard(cfg_dict: dict, k: int, progress=None) -> dict:
    """Make shard k and write it (worker entry point; `cfg_dict` is ExportConfig as a dict). Returns its marker."""
    cfg = ExportConfig(**cfg_dict)
    root = Path(cfg.out)
    clear_shard(root, cfg, k)
    records = sample_shard(cfg, k, progress)
    tmp = root / ".partial" / f"{cfg.split}-{k:05d}"
    files = shard_files(cfg, k)
    (tmp / "images").mkdir(parents=True)
    named = [(Path(p).name, b) for r in records for p, b in r["images"]]
    for name, data in named:
        (tmp / "images" / name).write_bytes(data)
    sizes, sums = {}, {}
    sizes[files["images"]], sums[files["images"]] = named_digest(named)  # what folder_digest finds on disk
    for kind in [f for f in files if f != "images"]:
        data = get_format(kind).encode(records)
        (tmp / kind).write_bytes(data)
        sums[files[kind]] = hashlib.sha256(data).hexdigest()
        sizes[files[kind]] = len(data)
    for kind, rel in files.items():
        dst = root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / kind, dst)
    marker = {"shard": k, "split": cfg.split, "records": len(records),
              "families": dict(sorted(Counter(r["family"] for r in records).items())),
              "labels": dict(sorted(Counter(f"{r['family']}:{r['label']}" for r in records).items())),
              "sha256": sums, "bytes": sizes}
    m = root / marker_path(cfg, k)
    atomic_text(m, json.dumps(marker, indent=1, sort_keys=True) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)
    return marker


# --- the job ------------------------------------------------------------------------------------------------------
LEFTOVERS = {"export_config.tmp", LOCK_FILE, ".partial"}  # what a run that never got going may leave


def check_out(cfg: ExportConfig) -> None:
    """Refuse an --out that is a file or a foreign non-empty folder, before anything is written there."""
    root = Path(cfg.out)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"--out {root} is a file: pass a folder")
    if root.is_dir() and not (root / "export_config.json").is_file() and \
            any(p.name not in LEFTOVERS for p in root.iterdir()):
        raise ConfigError(f"{root} is not empty and is not a SAT-Env export: choose an empty or new --out folder")


def prepare(cfg: ExportConfig, resume: bool, report=None) -> list[int]:
    """Check the output folder (under its lock), record the config, verify the shards already made (with `resume`)
    and return the shards still to make. `report(message)` hears about every shard that failed verification."""
    root = Path(cfg.out)
    check_out(cfg)
    conf = root / "export_config.json"
    if conf.is_file():
        old = read_json(conf)
        if old is None:
            raise ConfigError(f"{conf} is unreadable (truncated?): this export's settings are lost; use a new --out "
                              "folder")
        old.setdefault("backend", "embedded")  # exports written before the option existed
        new = cfg.identity()
        if old != new:
            diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            if "file_layout" in diff:
                raise ConfigError(f"{root} holds an export written in an older file layout (SAT-Env before "
                                  "2026-12-03: the sat parquet's `images` column, messages with paths inside their "
                                  "placeholders); this version writes SAT's `image_bytes` and TRL's layout: finish it "
                                  "with the version that started it, or use a new --out folder")
            if "sampling_scheme" in diff:
                raise ConfigError(f"{root} holds an export sampled by an older question scheme (SAT-Env before "
                                  "2026-12-03: one random stream for houses and questions); this version would "
                                  "sample its remaining shards differently: finish it with the version that started "
                                  "it, or use a new --out folder")
            if diff == ["image_encoder"] or (old.get("image_encoder") is None and "chroma" not in old):
                raise ConfigError(f"{root} holds an export whose images were encoded by "
                                  f"{old.get('image_encoder') or 'an older SAT-Env (Pillow)'}, and this installation "
                                  f"encodes with {new['image_encoder']}: finish it with the version that started it, "
                                  "or use a new --out folder")
            raise ConfigError(f"{root} holds an export with other settings ({', '.join(diff)} differ): use a new "
                              "--out folder, or repeat the original options with --resume")
        if not resume:
            done = (root / "manifest.json").is_file()
            raise ConfigError(f"{root} already holds {'a finished' if done else 'an unfinished'} export of this "
                              f"config: {'use a new --out folder' if done else 'pass --resume to finish it'}")
    else:
        try:
            atomic_text(conf, json.dumps(cfg.identity(), indent=1, sort_keys=True) + "\n")
        finally:
            conf.with_name(conf.name + ".tmp").unlink(missing_ok=True)  # a full disk leaves no half-written file
    shutil.rmtree(root / ".partial", ignore_errors=True)
    todo = []
    for k in range(cfg.n_shards):
        m = root / marker_path(cfg, k)
        if m.is_file():
            marker = read_json(m)
            problems = ["its marker is unreadable"] if marker is None or "sha256" not in marker else \
                entry_problems(root, marker["sha256"], marker.get("bytes"))
            if not problems:
                continue
            if report:
                report(f"shard {k}: {'; '.join(problems[:3])}{' ...' if len(problems) > 3 else ''}: making it again")
            m.unlink()
        clear_shard(root, cfg, k)
        todo.append(k)
    if todo:  # the manifest no longer describes the folder; the finished export's new one replaces it atomically
        (root / "manifest.json").unlink(missing_ok=True)
    return todo


def _init_worker():
    # One thread per worker: N workers already fill N cores. llvmpipe's rasterizer threads (one per core by
    # default) would only contend with the other workers; with LP_NUM_THREADS=0 it rasterizes in the calling thread,
    # which is 10-20% faster than handing every frame to one rasterizer thread and waiting for it.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("LP_NUM_THREADS", "0")


def run_export(cfg: ExportConfig, workers: int = 1, engine: str = "local", resume: bool = False,
               progress: bool = True) -> dict:
    """Run (or finish, with `resume`) an export; returns the manifest. The folder is locked for the run (a second
    run on it is refused); with `resume`, the shards already made are verified and any that fail are made again."""
    if workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    if engine not in ("local", "ray"):
        raise ConfigError(f"--engine must be local or ray, got {engine!r}")
    cfg.check()
    if engine == "ray" and importlib.util.find_spec("ray") is None:  # said before anything is written
        raise ConfigError('--engine ray needs ray: pip install -e ".[ray]" (or use --engine local)')
    check_out(cfg)
    root = Path(cfg.out)
    root.mkdir(parents=True, exist_ok=True)
    with ExportLock(root):
        todo = prepare(cfg, resume, report=lambda msg: print(f"resume: {msg}", file=sys.stderr))
        total = sum(cfg.shard_count(k) for k in todo)
        bar = ProgressBar(total, enabled=progress)
        t0 = time.monotonic()
        cd = asdict(cfg)
        try:
            if engine == "ray":
                _run_ray(cd, todo, bar)
            elif workers == 1:
                for k in todo:
                    write_shard(cd, k, progress=bar.update)
            else:
                _run_local(cd, todo, workers, bar)
        finally:
            bar.close()
        manifest = finalize(cfg)
    manifest["seconds"] = round(time.monotonic() - t0, 2)
    manifest["made"] = total  # QAs made by this run (all of them, or what a resume found missing)
    return manifest


def _run_local(cfg_dict: dict, todo: list[int], workers: int, bar) -> None:
    """Shards in `workers` spawned processes (a GL context does not survive fork: see README, Processes and threads).
    A worker that dies (the out-of-memory killer, a signal) fails the run at once instead of leaving it waiting."""
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker) as pool:
        futures = {pool.submit(write_shard, cfg_dict, k): k for k in todo}
        try:
            for fut in as_completed(futures):
                bar.update(fut.result()["records"])
        except BaseException as e:  # a failed shard or Ctrl-C: no new shard starts
            pool.shutdown(wait=False, cancel_futures=True)
            if not isinstance(e, BrokenProcessPool):
                raise
            left = sorted(k for f, k in futures.items() if not (f.done() and not f.exception()))
            raise ExportError(f"a worker process died (killed by a signal; out of memory?) with shard(s) "
                              f"{', '.join(map(str, left[:8]))}{' ...' if len(left) > 8 else ''} unfinished; the "
                              "finished shards are kept: run the same command with --resume (fewer --workers if "
                              "memory is short)") from None


def _run_ray(cfg_dict: dict, todo: list[int], bar) -> None:
    try:
        import ray
    except ImportError as e:
        raise ConfigError('--engine ray needs ray: pip install "ray[default]" (or use --engine local)') from e
    if not ray.is_initialized():
        ray.init(ignore_reinit_error=True, log_to_driver=False)
    task = ray.remote(write_shard)
    pending = [task.remote(cfg_dict, k) for k in todo]
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        for ref in done:
            bar.update(ray.get(ref)["records"])


def finalize(cfg: ExportConfig) -> dict:
    """Merge the per-shard LLaVA / messages files and write the manifest (after every shard is complete)."""
    root = Path(cfg.out)
    markers = []
    for k in range(cfg.n_shards):
        m = root / marker_path(cfg, k)
        if not m.is_file():
            raise ConfigError(f"shard {k} of {cfg.out} is not complete: run again with --resume")
        markers.append(json.loads(m.read_text()))
    for fmt in cfg.formats:
        get_format(fmt).merge(root, cfg.split, [root / shard_files(cfg, k)[fmt] for k in range(cfg.n_shards)])
    fam = Counter()
    labels = Counter()
    for m in markers:
        fam.update(m["families"])
        labels.update(m["labels"])
    manifest = {
        "config": cfg.identity(), "code_version": code_version(), "created_by": "sat export",
        "splits": {cfg.split: {"records": sum(m["records"] for m in markers),
                               "house_seeds": [SPLIT_HOUSE_BASE[cfg.split],
                                               SPLIT_HOUSE_BASE[cfg.split] + cfg.n_shards * HOUSES_PER_SHARD]}},
        "families": dict(sorted(fam.items())), "labels": dict(sorted(labels.items())),
        "shards": [{"shard": m["shard"], "records": m["records"], "sha256": m["sha256"],
                    **({"bytes": m["bytes"]} if "bytes" in m else {})} for m in markers],
    }
    if "llava15" in cfg.formats:  # the one format that leaves records out (the two-image questions)
        manifest["format_records"] = {"llava15": len(json.loads((root / get_format("llava15").merged_path(
            cfg.split)).read_text()))}
    merged = [get_format(f).merged_path(cfg.split) for f in cfg.formats]
    merged.append(write_card(root, cfg.formats, cfg.split, manifest))  # load_dataset(DIR) reads the QAs through it
    manifest["merged"] = {rel: dict(zip(("bytes", "sha256"), file_digest(root / rel))) for rel in merged if rel}
    atomic_text(root / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    shutil.rmtree(root / ".partial", ignore_errors=True)
    return manifest
