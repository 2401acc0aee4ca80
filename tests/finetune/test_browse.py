"""`sat browse`: the gallery holds the sampled records with the right answers highlighted, embeds everything, spreads
the sample over families, and refuses bad input without writing."""

from __future__ import annotations

import base64
import io
import json
from collections import Counter
from html.parser import HTMLParser

import pytest

from finetune.browse import build_gallery, sample_indices
from sat_env.cli import main
from sat_env.errors import ConfigError
from sat_env.export import ExportConfig, iter_records, run_export


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp") / "e"
    run_export(ExportConfig(num_qa=30, out=str(out), size=64, shard_size=10), progress=False)
    return out


class Cards(HTMLParser):
    """The cards of a gallery: family, id tag, question, choices (text, highlighted?), image sources, truth text;
    plus every src / href in the page."""

    def __init__(self):
        super().__init__()
        self.cards, self.links, self.buttons = [], [], []
        self.stack = []  # classes of the open elements

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = a.get("class", "")
        for k in ("src", "href"):
            if k in a:
                self.links.append(a[k])
        if cls == "card":
            self.cards.append({"family": a["data-family"], "choices": [], "imgs": [], "q": "", "truth": "",
                               "tags": []})
        if tag == "img":
            self.cards[-1]["imgs"].append(a["src"])
        if tag == "button":
            self.buttons.append(a["data-f"])
        if tag not in ("img", "br", "meta"):
            self.stack.append((tag, cls))

    def handle_endtag(self, tag):
        if tag not in ("img", "br", "meta") and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self.stack or not self.cards:
            return
        tag, cls = self.stack[-1]
        card = self.cards[-1]
        inside = [c for _, c in self.stack]
        if tag == "li":
            card["choices"].append((data, cls == "ok"))
        elif cls == "q":
            card["q"] += data
        elif "truth" in inside:
            card["truth"] += data + " "
        elif cls == "tag":
            card["tags"].append(data)


def _parse(path):
    p = Cards()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_gallery_shows_the_sampled_records_with_correct_answers(export, tmp_path):
    from PIL import Image

    recs = {r["id"]: r for r in iter_records(export, "sat")}
    out = tmp_path / "g.html"
    info = build_gallery(export, out, n=20)
    page = _parse(out)
    assert info["records"] == len(page.cards) == 20
    assert not [l for l in page.links if not l.startswith("data:image/jpeg;base64,")]  # self-contained
    for card in page.cards:
        rid = next(t for t in card["tags"] if t.startswith("train-"))
        rec = recs[rid]
        assert card["family"] == rec["family"] and card["q"] == rec["question"]
        assert [c for c, _ in card["choices"]] == rec["answers"]
        assert [c for c, ok in card["choices"] if ok] == [rec["correct_answer"]]  # exactly the right one is green
        assert len(card["imgs"]) == len(rec["images"])
        im = Image.open(io.BytesIO(base64.b64decode(card["imgs"][0].split(",", 1)[1])))
        assert im.format == "JPEG" and im.size == (64, 64)  # thumbnails never upscale
        assert rec["truth"]["label"] in card["truth"] and rec["truth"]["house"] in card["truth"]
    # one filter button per family shown, plus "all"
    assert page.buttons == ["*", *sorted({c["family"] for c in page.cards})]


def test_other_formats_give_the_same_gallery(export, tmp_path):
    build_gallery(export, tmp_path / "a.html", n=12, fmt="sat")
    build_gallery(export, tmp_path / "b.html", n=12, fmt="llava")
    a, b = _parse(tmp_path / "a.html"), _parse(tmp_path / "b.html")
    strip = [[{k: v for k, v in c.items() if k != "imgs"} for c in p.cards] for p in (a, b)]
    assert strip[0] == strip[1]
    assert [len(c["imgs"]) for c in a.cards] == [len(c["imgs"]) for c in b.cards]


def test_sample_is_spread_over_families_and_seeded():
    fams = ["a"] * 50 + ["b"] * 3 + ["c"] * 20
    idx = sample_indices(fams, 12, seed=1)
    assert len(idx) == len(set(idx)) == 12
    assert Counter(fams[i] for i in idx) == {"a": 5, "b": 3, "c": 4}  # b runs out, the others share the rest
    assert sample_indices(fams, 12, seed=1) == idx and sample_indices(fams, 12, seed=2) != idx
    assert sorted(sample_indices(fams, 500, seed=0)) == list(range(len(fams)))


def test_reading_without_images_reads_the_same_records(export):
    with_img = list(iter_records(export, "sat"))
    without = list(iter_records(export, "sat", load_images=False))
    for a, b in zip(with_img, without):
        assert len(b["images"]) == len(a["images"]) and set(b["images"]) == {None}
        assert {k: v for k, v in a.items() if k != "images"} == {k: v for k, v in b.items() if k != "images"}


def test_refusals_write_nothing(export, tmp_path, capsys):
    out = tmp_path / "g.html"
    with pytest.raises(ConfigError, match="not a `sat export` folder"):
        build_gallery(tmp_path, out)
    with pytest.raises(ConfigError, match="does not exist"):
        build_gallery(tmp_path / "nope", out)
    with pytest.raises(ConfigError, match="--n must be"):
        build_gallery(export, out, n=0)
    with pytest.raises(ConfigError, match="no 'val' split"):
        build_gallery(export, out, split="val")
    assert main(["browse", str(export), "--out", str(tmp_path / "g.txt"), "--no-progress"]) == 2
    assert ".html" in capsys.readouterr().err
    man = json.loads((export / "manifest.json").read_text())
    assert man["config"]["formats"] == ["sat", "llava", "messages"]
    assert not list(tmp_path.glob("g*"))
