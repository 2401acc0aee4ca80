"""The dataset card written at an export's root (README.md): a Hugging Face card whose ``configs:`` name the QA files,
so that ``datasets.load_dataset(DIR)`` (and a Hub upload of the folder) gives the questions rather than the bare
image folder, with what the export holds and how to read each format."""

from __future__ import annotations

from pathlib import Path

from sat_env.export.formats import get_format
from sat_env.export.records import atomic_text

ORDER = ("sat", "messages", "llava", "llava15")  # the first exported one is the default config
FILES = {"sat": "sat/{split}/*.parquet"}


def data_files(fmt: str, split: str) -> str:
    """The files of one format and split, relative to the export folder (a glob for sharded parquet)."""
    return FILES[fmt].format(split=split) if fmt in FILES else get_format(fmt).merged_path(split)


def card_text(formats: list[str], split: str, manifest: dict) -> str:
    fmts = [f for f in ORDER if f in formats]
    # datasets picks one builder for a whole folder (here parquet or json): the configs list the formats of the
    # first one's kind, and the card says how to read the others
    kind = "parquet" if fmts[0] == "sat" else "json"
    configs = [f for f in fmts if ("parquet" if f == "sat" else "json") == kind]
    others = [f for f in fmts if f not in configs]
    lines = ["---", "configs:"]
    for k, f in enumerate(configs):
        lines += [f"- config_name: {f}"] + (["  default: true"] if k == 0 else []) + [
            "  data_files:", f"  - split: {split}", f"    path: {data_files(f, split)}"]
    lines += ["tags:", "- spatial-reasoning", "- synthetic", "- sat-env", "---", ""]
    n = manifest["splits"][split]["records"]
    cfg = manifest["config"]
    fams = "\n".join(f"| {fam} | {c} |" for fam, c in manifest["families"].items())
    lines += [
        "# SAT-Env export", "",
        f"{n} spatial questions ({split} split) about procedurally generated apartments, written by `sat export` "
        f"({manifest['code_version']}): mix `{cfg['mix']}`, {cfg['size']} px images, seed {cfg['seed']}. "
        "Every answer is computed from the simulator's ground truth; `truth` holds the numbers behind it.", "",
        "## Load", "",
        "```python", "from datasets import load_dataset", "",
        f'ds = load_dataset("path/to/this/folder", split="{split}")  # the {configs[0]} config'] + [
        f'ds = load_dataset("path/to/this/folder", "{f}", split="{split}")' for f in configs[1:]] + [
        f'ds = load_dataset("json", data_files="path/to/this/folder/{data_files(f, split)}", split="{split}")'
        for f in others] + ["```", ""]
    notes = {
        "sat": "`sat`: the schema of SAT's released parquet (array/SAT): `image_bytes` (encoded images; "
               "`PIL.Image.open(io.BytesIO(b))`), `question`, `answers`, `question_type`, `correct_answer`; added "
               "columns `correct_index`, `family`, `id`, `split`, `house`, `truth` (JSON).",
        "messages": "`messages`: TRL's vision layout, `messages` with bare `{\"type\": \"image\"}` placeholders and "
                    "`images`, paths relative to this folder (make them absolute and cast to `Image()` for TRL).",
        "llava": "`llava`: LLaVA-NeXT / OneVision records (`image` a path, or a list for two-image questions), paths "
                 "relative to this folder (LLaVA's `--image_folder`).",
        "llava15": "`llava15`: LLaVA-1.5 records, one image each (the two-image questions are left out).",
    }
    lines += ["## Formats", ""] + [f"- {notes[f]}" for f in fmts] + ["", "## Questions per family", "",
                                                                     "| family | QAs |", "|---|---:|", fams, ""]
    return "\n".join(lines)


def write_card(root: Path, formats: list[str], split: str, manifest: dict) -> str:
    """Write README.md at the export root; returns its path relative to the root."""
    atomic_text(Path(root) / "README.md", card_text(formats, split, manifest))
    return "README.md"
