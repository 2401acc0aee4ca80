"""`sat finetune` on a tiny model built offline: the loss is on the answer only and goes down, the saved model /
adapter reloads through plain transformers / peft with the same outputs, a resumed run equals an uninterrupted one,
instruct data mixes in, and bad input gets clear errors."""

from __future__ import annotations

import json
import shutil

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from finetune import sft  # noqa: E402
from finetune.infer import Predictor, load_model  # noqa: E402
from finetune.sft import SFTConfig, train  # noqa: E402
from finetune.sft_data import IGNORE, Sample, SampleOrder, collate, export_samples, instruct_samples  # noqa: E402
from sat_env.errors import ConfigError  # noqa: E402
from sat_env.export import open_image  # noqa: E402


def _metrics(out):
    return [json.loads(ln) for ln in (out / "metrics.jsonl").read_text().splitlines()]


def test_collate_puts_the_loss_on_the_answer_only(tiny_run, train_export):
    out, _ = tiny_run
    _, processor = load_model(out / "base")
    samples = export_samples(train_export, "sat", "train")
    batch = [next(s for s in samples if len(s.images) == 1), next(s for s in samples if len(s.images) == 2),
             Sample((), "a text-only question?", "a longer answer with words")]
    enc = collate(processor, batch)
    tok = processor.tokenizer
    image_id = tok.convert_tokens_to_ids("<image>")
    for row, s in enumerate(batch):
        sup = enc["labels"][row] != IGNORE
        assert tok.decode(enc["input_ids"][row][sup]) == f" {s.answer}</s>"
        assert not (enc["input_ids"][row][sup] == image_id).any()
        assert int((enc["input_ids"][row] == image_id).sum()) == 64 * len(s.images)
        # padding (right) is never supervised
        assert not sup[enc["attention_mask"][row] == 0].any()


def test_training_lowers_the_loss_and_logs(tiny_run):
    out, summary = tiny_run
    rows = [r for r in _metrics(out) if "loss" in r]
    assert [r["step"] for r in rows] == list(range(5, 41, 5))
    assert rows[-1]["loss"] < 0.6 * rows[0]["loss"], rows
    evals = [r for r in _metrics(out) if "eval_accuracy" in r]
    assert evals and evals[-1]["step"] == 40 and evals[-1]["eval_n"] == 8
    assert summary["method"] == "full" and summary["steps"] == 40
    assert json.loads((out / "sat_finetune.json").read_text())["base_model"] == str(out / "base")


def _probe(processor, samples):
    from finetune.chat import processor_images, render

    texts = [render(processor, len(s.images), s.text) for s in samples]
    return processor(text=texts, images=processor_images([[open_image(i) for i in s.images] for s in samples]),
                     padding=True, return_tensors="pt")


@pytest.mark.parametrize("method", ["full", "lora"])
def test_saved_result_reloads_with_plain_transformers_and_peft(method, tiny_run, train_export, tmp_path,
                                                              monkeypatch):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    base_run, _ = tiny_run
    samples = export_samples(train_export, "sat", "train")[:4]
    captured = {}
    finish = sft._finish

    def spy(out, model, processor, *a, **k):  # the in-memory model at the end of training
        model.eval()
        with torch.no_grad():
            captured["logits"] = model(**_probe(processor, samples)).logits
        captured["gen"] = Predictor(None, model=model, processor=processor).generate(
            [([open_image(i) for i in s.images], s.text) for s in samples], max_new_tokens=4)
        return finish(out, model, processor, *a, **k)

    monkeypatch.setattr(sft, "_finish", spy)
    out = tmp_path / method
    model = "tiny" if method == "full" else str(base_run)  # LoRA on the trained tiny model, as on a real base
    train(SFTConfig(model=model, data=str(train_export), out=str(out), method=method, max_steps=6, batch_size=4,
                    lora_r=8, lora_alpha=16, wandb="disabled"), progress=False)
    if method == "full":
        plain = AutoModelForImageTextToText.from_pretrained(out)
        processor = AutoProcessor.from_pretrained(out)
    else:
        from peft import PeftModel

        cfg = json.loads((out / "adapter_config.json").read_text())
        assert cfg["r"] == 8 and any("q_proj" in t or "q_proj" in str(cfg["target_modules"])
                                     for t in [str(cfg["target_modules"])])
        plain = PeftModel.from_pretrained(AutoModelForImageTextToText.from_pretrained(base_run), out)
        processor = AutoProcessor.from_pretrained(base_run)
        # only the language model's q/v projections got adapters (SAT's recipe, not the vision tower's)
        names = [n for n, _ in plain.named_modules() if n.endswith("lora_A")]
        assert names and all("language_model" in n and (".q_proj" in n or ".v_proj" in n) for n in names)
    plain.eval()
    with torch.no_grad():
        logits = plain(**_probe(processor, samples)).logits
    torch.testing.assert_close(logits, captured["logits"], rtol=1e-5, atol=1e-5)
    gen = Predictor(None, model=plain, processor=processor).generate(
        [([open_image(i) for i in s.images], s.text) for s in samples], max_new_tokens=4)
    assert gen == captured["gen"]


def test_resume_after_interruption_equals_an_uninterrupted_run(train_export, tmp_path, kill_and_resume):
    from safetensors.torch import load_file

    def cfg(out):
        return SFTConfig(model="tiny", data=str(train_export), out=str(out), max_steps=12, batch_size=4,
                         save_every=4, log_every=2, wandb="disabled")

    train(cfg(tmp_path / "a"), progress=False)
    kill_and_resume(cfg(tmp_path / "b"), 8)
    a, b = load_file(str(tmp_path / "a" / "model.safetensors")), load_file(str(tmp_path / "b" / "model.safetensors"))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    la = [(r["step"], r["loss"]) for r in _metrics(tmp_path / "a")]
    lb = [(r["step"], r["loss"]) for r in _metrics(tmp_path / "b")]
    assert la == lb  # no lost and no duplicated lines


def _instruct_file(tmp_path, items):
    (tmp_path / "imgs").mkdir(exist_ok=True)
    from PIL import Image

    Image.new("RGB", (32, 32), (200, 30, 30)).save(tmp_path / "imgs" / "a.jpg")
    f = tmp_path / "mix.json"
    f.write_text(json.dumps(items))
    return f


def test_instruct_data_mixes_in_at_the_ratio(train_export, tmp_path):
    f = _instruct_file(tmp_path, [
        {"id": "1", "image": "imgs/a.jpg", "conversations": [
            {"from": "human", "value": "<image>\nWhat colour is it?"}, {"from": "gpt", "value": "Red."},
            {"from": "human", "value": "Is it big?"}, {"from": "gpt", "value": "No."}]},
        {"id": "2", "conversations": [{"from": "human", "value": "Say hi."}, {"from": "gpt", "value": "Hi."}]},
    ])
    inst = instruct_samples(f)
    assert [(len(s.images), s.text, s.answer) for s in inst] == [
        (1, "What colour is it?", "Red."), (1, "Is it big?", "No."), (0, "Say hi.", "Hi.")]
    order = SampleOrder(60, len(inst), 0.4, seed=0)
    ep = order.epoch(0)
    assert order.epoch_len == 100 and sum(src == 1 for src, _ in ep) == 40
    assert sorted(i for src, i in ep if src == 0) == list(range(60))  # every export QA once per epoch
    assert ep == SampleOrder(60, len(inst), 0.4, seed=0).epoch(0) != SampleOrder(60, 3, 0.4, seed=1).epoch(0)
    out = tmp_path / "run"
    s = train(SFTConfig(model="tiny", data=str(train_export), out=str(out), max_steps=3, batch_size=6,
                        mix_instruct=str(f), wandb="disabled"), progress=False)
    assert s["instruct_samples"] == 3 and s["steps"] == 3


def test_wandb_offline_run_is_written(train_export, tmp_path):
    pytest.importorskip("wandb")
    out = tmp_path / "w"
    train(SFTConfig(model="tiny", data=str(train_export), out=str(out), max_steps=2, batch_size=4, log_every=1,
                    wandb="offline"), progress=False)
    runs = list((out / "wandb").glob("offline-run-*"))
    assert runs and list(runs[0].glob("run-*.wandb"))


def test_clear_errors(train_export, tiny_run, tmp_path):
    base = SFTConfig(model="tiny", data=str(train_export), out=str(tmp_path / "o"), max_steps=1, wandb="disabled")
    with pytest.raises(ConfigError, match="does not exist"):
        train(SFTConfig(**{**base.__dict__, "model": str(tmp_path / "missing")}), progress=False)
    with pytest.raises(ConfigError, match="sat export"):
        train(SFTConfig(**{**base.__dict__, "data": str(tmp_path)}), progress=False)
    # a checkpoint without an image processor
    out, _ = tiny_run
    textonly = tmp_path / "textonly"
    shutil.copytree(out / "base", textonly)
    for f in ("processor_config.json", "preprocessor_config.json"):
        (textonly / f).unlink(missing_ok=True)
    with pytest.raises(ConfigError, match="image processor"):
        load_model(textonly)
    # a dataset without images
    bad = tmp_path / "noimg"
    shutil.copytree(train_export / "messages", bad / "messages")
    shard = next((bad / "messages" / "train").glob("shard-*.jsonl"))
    recs = [json.loads(ln) for ln in shard.read_text().splitlines()]
    for r in recs:
        r["messages"][0]["content"] = [c for c in r["messages"][0]["content"] if c["type"] != "image"]
        r["images"] = []
    shard.write_text("".join(json.dumps(r) + "\n" for r in recs))
    with pytest.raises(ConfigError, match="no images"):
        train(SFTConfig(**{**base.__dict__, "data": str(bad), "out": str(tmp_path / "o2")}), progress=False)
    assert not (tmp_path / "o2").exists()
    # a mix file in the wrong format
    f = _instruct_file(tmp_path, [{"id": "1", "messages": [{"role": "user", "content": "hi"}]}])
    with pytest.raises(ConfigError, match="LLaVA-665K"):
        instruct_samples(f)
    f.write_text("{not json")
    with pytest.raises(ConfigError, match="not JSON"):
        instruct_samples(f)
    # a non-empty output folder without --resume
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(ConfigError, match="not empty"):
        train(SFTConfig(**{**base.__dict__, "out": str(tmp_path / "full")}), progress=False)


@pytest.mark.parametrize("method,precision", [("full", "bf16"), ("lora", "fp32")])
def test_gradient_checkpointing_and_bf16_train(method, precision, tiny_run, train_export, tmp_path):
    base_run, _ = tiny_run
    model = "tiny" if method == "full" else str(base_run)
    s = train(SFTConfig(model=model, data=str(train_export), out=str(tmp_path / "o"), method=method, max_steps=2,
                        batch_size=4, lora_r=4, lora_alpha=8, precision=precision, gradient_checkpointing=True,
                        wandb="disabled"), progress=False)
    assert s["steps"] == 2 and s["final_loss"] == s["final_loss"]  # finite, not NaN
    with pytest.raises(ConfigError, match="CUDA"):
        train(SFTConfig(model="tiny", data=str(train_export), out=str(tmp_path / "p"), max_steps=1,
                        precision="fp16", device="cpu", wandb="disabled"), progress=False)
    assert not (tmp_path / "p").exists()  # refused before anything was written
