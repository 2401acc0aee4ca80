"""The export in the tools researchers plug it into (issue 18): TRL's SFTTrainer trains on the messages format with
pixel values; `datasets.load_dataset(DIR)` gives the QAs through the dataset card; SAT's own item code reads the sat
format; LLaVA-1.5's and LLaVA-OneVision's record conventions hold; the project's instruct reader takes its own
LLaVA exports."""

from __future__ import annotations

import io
import json
import os

import pytest

from sat_env.export import ExportConfig, run_export

datasets = pytest.importorskip("datasets")


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    out = tmp_path_factory.mktemp("clients") / "e"
    run_export(ExportConfig(num_qa=40, out=str(out), size=32, shard_size=20,
                            formats=["sat", "llava", "messages", "llava15"]), progress=False)
    return out


def test_load_dataset_of_the_folder_gives_the_qas_in_sats_schema(export):
    from PIL import Image

    ds = datasets.load_dataset(str(export), split="train")  # the dataset card's default config
    assert len(ds) == 40
    assert ds.column_names[:5] == ["image_bytes", "question", "answers", "question_type", "correct_answer"]
    assert set(ds["question_type"]) <= {"other", "action_sequence", "goal_aim", "obj_movement", "action_consequence",
                                        "perspective"}
    for example in ds.select(range(10)):  # SAT's card: images = [Image.open(io.BytesIO(b)) for b in image_bytes]
        images = [Image.open(io.BytesIO(b)) for b in example["image_bytes"]]
        assert images and images[0].size == (32, 32)
        assert example["correct_answer"] == example["answers"][example["correct_index"]]
    assert "configs:" in (export / "README.md").read_text()


def test_the_sat_benchmark_loader_reads_the_export_as_it_reads_sats_release(export):
    from finetune.benchmark_data import load_benchmark

    items = load_benchmark("sat", export / "sat" / "train")
    assert len(items) == 40 and all(it.images for it in items)


def test_trl_sft_trainer_trains_on_the_messages_format_with_pixel_values(export, tmp_path):
    pytest.importorskip("trl")
    from datasets import Image, Sequence
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from trl import SFTConfig, SFTTrainer

    from finetune.tiny import TinyConfig, build_tiny

    rows = [json.loads(ln) for ln in (export / "messages" / "train.jsonl").read_text().splitlines()]
    assert all(c == {"type": "image"} for r in rows for c in r["messages"][0]["content"][:-1])  # bare placeholders
    assert all(len(r["images"]) == sum(c["type"] == "image" for c in r["messages"][0]["content"]) for r in rows)
    build_tiny(tmp_path / "m", [json.dumps(r["messages"]) for r in rows] * 4, TinyConfig(image_size=32), seed=0)
    # the README's recipe: paths made absolute, decoded by datasets
    ds = datasets.load_dataset("json", data_files=str(export / "messages" / "train.jsonl"), split="train")
    ds = ds.map(lambda r: {"images": [os.path.join(export, p) for p in r["images"]]})
    ds = ds.cast_column("images", Sequence(Image())).select_columns(["messages", "images"])
    seen = []

    class Recording(SFTTrainer):
        def compute_loss(self, model, inputs, *args, **kwargs):
            seen.append({k: tuple(v.shape) for k, v in inputs.items()})
            return super().compute_loss(model, inputs, *args, **kwargs)

    args = SFTConfig(output_dir=str(tmp_path / "trl"), max_steps=2, per_device_train_batch_size=2, report_to=[],
                     use_cpu=True, save_strategy="no", max_length=None, seed=0)
    trainer = Recording(model=AutoModelForImageTextToText.from_pretrained(tmp_path / "m"), args=args,
                        train_dataset=ds, processing_class=AutoProcessor.from_pretrained(tmp_path / "m"))
    trainer.train()
    assert len(seen) == 2 and all("pixel_values" in s and s["pixel_values"][0] >= 2 for s in seen), seen


def test_llava_conventions_and_the_instruct_reader_takes_both(export):
    from finetune.sft_data import instruct_samples

    v15 = json.loads((export / "llava15" / "train.json").read_text())
    nxt = json.loads((export / "llava" / "train.json").read_text())
    # LLaVA-1.5: `image` is one path and the human turn holds one <image>; the two-image questions are left out
    assert v15 and all(isinstance(r["image"], str) and r["conversations"][0]["value"].count("<image>") == 1
                       for r in v15)
    multi = [r for r in nxt if isinstance(r["image"], list)]
    assert multi and len(v15) == len(nxt) - len(multi)
    assert json.loads((export / "manifest.json").read_text())["format_records"] == {"llava15": len(v15)}
    # LLaVA-NeXT / OneVision: a list of paths and one <image> per image, in order
    assert all(r["conversations"][0]["value"].count("<image>") == len(r["image"]) == 2 for r in multi)
    for fmt, n_multi in (("llava", len(multi)), ("llava15", 0)):
        samples = instruct_samples(export / fmt / "train.json", image_root=export)
        assert len(samples) == len(v15) + n_multi
        assert sum(len(s.images) == 2 for s in samples) == n_multi


@pytest.mark.slow
def test_datasets_3_0_2_reads_the_parquet_as_sats_card_pins_it(export, tmp_path):
    # SAT's dataset card pins datasets==3.0.2: a throwaway venv with it (from PyPI) reads the export's parquet and
    # the folder through the dataset card, features included
    import subprocess
    import venv

    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    py = env / "bin" / "python"
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "datasets==3.0.2", "pillow"], capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    code = ("import io, sys, datasets\nfrom PIL import Image\nassert datasets.__version__ == '3.0.2'\n"
            "for ds in (datasets.load_dataset('parquet', data_dir=sys.argv[1] + '/sat/train', split='train'),\n"
            "           datasets.load_dataset(sys.argv[1], split='train')):\n"
            "    f = ds.features['answers']  # 3.x: a list [Value]; 4.x+: List(Value)\n"
            "    assert len(ds) == 40 and (f[0] if isinstance(f, list) else f.feature).dtype == 'string'\n"
            "    assert Image.open(io.BytesIO(ds[0]['image_bytes'][0])).size == (32, 32)\n"
            "print('ok')\n")
    r = subprocess.run([str(py), "-c", code, str(export)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-3000:]
