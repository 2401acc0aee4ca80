"""`sat browse DIR --out gallery.html`: a self-contained static HTML gallery of an export.

One file, no network: thumbnails are embedded as JPEG data URIs, the page's CSS and script are inline. Each card
shows the frames (with their roles: before / after / marked), the question, the choices with the correct one
highlighted, the family and SAT type; hovering a card shows its ground truth (the family's numbers, objects, label,
house). Buttons at the top filter by family. The sample is spread evenly over families (round robin over a seeded
shuffle of each family's records), so a small gallery still shows every family.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Literal

import numpy as np

from sat_env.errors import ConfigError
from sat_env.export import iter_records
from sat_env.export.formats.sat import image_blobs
from sat_env.export.records import reading

THUMB = 320  # px, the longer side of an embedded thumbnail
FORMAT_PREFERENCE = ("sat", "messages", "llava")


def _formats(root: Path) -> list[str]:
    man = root / "manifest.json"
    if man.is_file():
        return list(json.loads(man.read_text())["config"]["formats"])
    return [f for f in FORMAT_PREFERENCE if (root / f).is_dir()]


def pick_format(root: Path, fmt: str | None) -> str:
    have = _formats(root)
    if fmt:
        if fmt not in have:
            raise ConfigError(f"{root} has no {fmt} format (it has: {', '.join(have) or 'none'}); pick one of "
                              f"those with --format")
        return fmt
    for f in FORMAT_PREFERENCE:
        if f in have:
            return f
    raise ConfigError(f"{root} is not a `sat export` folder (no manifest.json and no sat/, llava/ or messages/); "
                      f"run `sat export --out {root} ...` first")


def _splits(root: Path, fmt: str, split: str | None) -> list[str]:
    have = sorted(p.name for p in (root / fmt).iterdir() if p.is_dir()) if (root / fmt).is_dir() else []
    if split:
        if split not in have:
            raise ConfigError(f"{root} has no {split!r} split in the {fmt} format "
                              f"(it has: {', '.join(have) or 'none'})")
        return [split]
    if not have:
        raise ConfigError(f"{root}/{fmt} holds no splits: is the export finished? (`sat export --resume` finishes it)")
    return have


def sample_indices(families: list[str], n: int, seed: int) -> list[int]:
    """Up to n record indices, spread evenly over families: each family's records in a seeded random order, taken
    round robin (families in sorted order). Returned in the order they are shown."""
    rng = np.random.default_rng(seed)
    by_family: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(families):
        by_family[f].append(i)
    queues = {f: [idx[j] for j in rng.permutation(len(idx))] for f, idx in sorted(by_family.items())}
    out: list[int] = []
    while len(out) < n and any(queues.values()):
        for f in list(queues):
            if queues[f] and len(out) < n:
                out.append(queues[f].pop(0))
    return out


def _thumb(img) -> str:
    from PIL import Image

    im = img.copy() if isinstance(img, Image.Image) else Image.open(img)
    im = im.convert("RGB")
    im.thumbnail((THUMB, THUMB))
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=82)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _sat_images(root: Path, split: str, wanted: dict[str, list[int]]) -> dict[tuple[str, int], list]:
    """PIL images of the wanted rows (shard file -> row numbers), reading only the row groups that hold them."""
    import pyarrow.parquet as pq
    from PIL import Image

    out = {}
    for fname, rows in wanted.items():
        pf = pq.ParquetFile(root / "sat" / split / fname)
        starts = np.cumsum([0] + [pf.metadata.row_group(g).num_rows for g in range(pf.num_row_groups)])
        col = "image_bytes" if "image_bytes" in pf.schema_arrow.names else "images"  # SAT's schema / older exports
        for g in sorted({int(np.searchsorted(starts, r, side="right") - 1) for r in rows}):
            imgs = pf.read_row_group(g, columns=[col]).to_pylist()
            for r in rows:
                if starts[g] <= r < starts[g + 1]:
                    out[(fname, r)] = [Image.open(io.BytesIO(b)) for b in image_blobs(imgs[r - starts[g]])]
    return out


def _records(root: Path, fmt: str, split: str) -> list[dict]:
    """Every record of the split without image bytes; sat records carry (shard file, row) to fetch images later."""
    if fmt != "sat":
        return list(iter_records(root, fmt, split, load_images=False))
    import pyarrow.parquet as pq

    recs = []
    with reading(root, fmt):
        for f in sorted((root / "sat" / split).glob("shard-*.parquet")):
            names = [c for c in pq.read_schema(f).names if c not in ("images", "image_bytes")]
            for r, row in enumerate(pq.read_table(f, columns=names).to_pylist()):
                row["truth"] = json.loads(row["truth"])
                row["_where"] = (f.name, r)
                recs.append(row)
    return recs


def _fmt_value(v):
    if isinstance(v, float):
        return round(v, 3)
    if isinstance(v, list):
        return [_fmt_value(x) for x in v]
    if isinstance(v, dict):
        return {k: _fmt_value(x) for k, x in sorted(v.items())}
    return v


def truth_lines(rec: dict) -> list[tuple[str, str]]:
    """(key, value) rows of a record's ground truth for the hover panel, numbers rounded to 3 decimals."""
    t = rec.get("truth") or {}
    rows = [("id", rec["id"]), ("house", str(rec.get("house") or t.get("house") or "-"))]
    if not t:
        return rows + [("truth", "not stored in this format")]
    rows.append(("label", str(t.get("label"))))
    if t.get("numeric") is not None:
        rows.append(("numeric", f"{t['numeric']:.3f} {t.get('unit') or ''}".strip()))
    rows.append(("objects", ", ".join(t.get("objects") or [])))
    for k, v in sorted((t.get("truth") or {}).items()):
        rows.append((k, json.dumps(_fmt_value(v))))
    return rows


CSS = """
*{box-sizing:border-box}body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;
background:#f4f5f7;color:#1d2330}header{position:sticky;top:0;z-index:5;background:#1d2330;color:#fff;
padding:10px 16px}header h1{font-size:17px;margin:0 0 4px}header .meta{opacity:.75;font-size:12px}
#filters{margin-top:8px;display:flex;flex-wrap:wrap;gap:6px}#filters button{border:1px solid #5a6478;
background:#2b3345;color:#fff;border-radius:14px;padding:3px 10px;font-size:12px;cursor:pointer}
#filters button.on{background:#3d7cf0;border-color:#3d7cf0}main{display:grid;gap:14px;padding:16px;
grid-template-columns:repeat(auto-fill,minmax(340px,1fr))}.card{position:relative;background:#fff;
border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.15);padding:10px}.imgs{display:flex;gap:4px;
flex-wrap:wrap}.imgs figure{margin:0;flex:1 1 140px;min-width:0}.imgs img{width:100%;display:block;
border-radius:4px;image-rendering:auto}.imgs figcaption{font-size:11px;color:#667;text-align:center}
.tags{margin:6px 0 4px;display:flex;gap:6px;flex-wrap:wrap}.tag{font-size:11px;padding:1px 7px;
border-radius:10px;background:#e8ecf4;color:#334}.tag.fam{background:#dbe7ff;color:#1747a6;font-weight:600}
.q{font-weight:600;margin:4px 0 6px}ol{margin:0;padding-left:22px}li{padding:2px 6px;border-radius:4px;
margin:1px 0}li.ok{background:#d6f5dd;color:#0c5a24;font-weight:600}li.ok::after{content:" \\2713"}
.truth{display:none;position:absolute;left:6px;right:6px;top:6px;z-index:3;background:rgba(20,24,34,.94);
color:#e8ecf4;border-radius:6px;padding:8px 10px;font:12px/1.35 ui-monospace,Menlo,Consolas,monospace;
max-height:calc(100% - 12px);overflow:auto}.truth b{color:#9cc1ff;font-weight:600}
.card:hover .truth{display:block}.hint{font-size:11px;color:#889;margin-top:6px}
"""

JS = """
const cards=[...document.querySelectorAll('.card')],btns=[...document.querySelectorAll('#filters button')];
function show(f){btns.forEach(b=>b.classList.toggle('on',b.dataset.f===f));
cards.forEach(c=>c.style.display=(f==='*'||c.dataset.family===f)?'':'none');
document.getElementById('shown').textContent=cards.filter(c=>c.style.display!=='none').length;}
btns.forEach(b=>b.addEventListener('click',()=>show(b.dataset.f)));show('*');
"""


def _card(rec: dict, thumbs: list[str]) -> str:
    e = html.escape
    roles = (rec.get("truth") or {}).get("image_roles") or [f"image {i + 1}" for i in range(len(thumbs))]
    figs = "".join(f'<figure><img src="{src}" alt="{e(role)}"><figcaption>{e(role)}</figcaption></figure>'
                   for src, role in zip(thumbs, roles))
    choices = "".join(f'<li class="{"ok" if i == rec["correct_index"] else ""}">{e(c)}</li>'
                      for i, c in enumerate(rec["answers"]))
    truth = "<br>".join(f"<b>{e(k)}</b> {e(v)}" for k, v in truth_lines(rec))
    return (f'<div class="card" data-family="{e(rec["family"])}"><div class="imgs">{figs}</div>'
            f'<div class="tags"><span class="tag fam">{e(rec["family"])}</span>'
            f'<span class="tag">{e(rec["question_type"])}</span><span class="tag">{e(rec["id"])}</span></div>'
            f'<div class="q">{e(rec["question"])}</div><ol>{choices}</ol>'
            f'<div class="hint">hover for ground truth</div><div class="truth">{truth}</div></div>')


def build_gallery(root: str, out: str = "gallery.html", n: int = 200,
                  split: Literal["train", "val", "test"] | None = None,
                  fmt: Literal["sat", "llava", "messages"] | None = None, seed: int = 0, progress=None) -> dict:
    """Write the gallery of up to n records of an export; returns {"records", "families", "format", "bytes"}.

    Args:
        root: export folder (the --out of `sat export`).
        out: HTML file to write.
        n: QAs to show.
        split: only this split (default: all present).
        fmt: format to read (default: sat if exported, else messages, else llava).
        seed: sampling seed.
        progress: ``progress(k)`` as records are drawn.
    """
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"{root} does not exist: pass the folder given to `sat export --out`")
    if n < 1:
        raise ConfigError(f"--n must be at least 1 (got {n})")
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(f"--out {out} should be an .html file")
    fmt = pick_format(root, fmt)
    recs = []
    for s in _splits(root, fmt, split):
        recs += _records(root, fmt, s)
    if not recs:
        raise ConfigError(f"{root} holds no records in the {fmt} format")
    chosen = [recs[i] for i in sample_indices([r["family"] for r in recs], n, seed)]
    images: dict = {}
    if fmt == "sat":
        for s in {r["split"] for r in chosen}:
            wanted: dict[str, list[int]] = defaultdict(list)
            for r in chosen:
                if r["split"] == s:
                    wanted[r["_where"][0]].append(r["_where"][1])
            images.update({(s, *k): v for k, v in _sat_images(root, s, wanted).items()})
    cards = []
    for r in chosen:
        imgs = images[(r["split"], *r["_where"])] if fmt == "sat" else [root / p for p in r["images"]]
        cards.append(_card(r, [_thumb(i) for i in imgs]))
        if progress:
            progress(1)
    fams: dict[str, int] = defaultdict(int)
    for r in chosen:
        fams[r["family"]] += 1
    e = html.escape
    buttons = f'<button data-f="*">all ({len(chosen)})</button>' + "".join(
        f'<button data-f="{e(f)}">{e(f)} ({c})</button>' for f, c in sorted(fams.items()))
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>SAT-Env export: {e(root.name)}'
            f'</title><meta name="viewport" content="width=device-width,initial-scale=1"><style>{CSS}</style></head>'
            f'<body><header><h1>SAT-Env export: {e(str(root))}</h1><div class="meta">{fmt} format, '
            f'<span id="shown">{len(chosen)}</span> of {len(chosen)} sampled QAs shown (of {len(recs)} in the '
            f'export); correct choice in green; hover a card for its ground truth</div>'
            f'<div id="filters">{buttons}</div></header><main>{"".join(cards)}</main><script>{JS}</script>'
            f'</body></html>\n')
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return {"records": len(chosen), "families": dict(sorted(fams.items())), "format": fmt, "bytes": len(page)}
