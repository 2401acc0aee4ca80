"""Benchmark loaders: for every benchmark a tiny fixture in its public file format (column names and types as
published, HF Image structs with `datasets` feature metadata, nested list<binary> for array/SAT, jsonl + image
files, VSI frame folders) loads into the expected EvalItems; missing or wrong layouts raise ConfigError naming the
expected files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from finetune.benchmark_data import BENCHMARKS, SAT_EGO_PREFIX, VSI_PREFIX, load_benchmark
from finetune.scoring import cvbench_score
from qa.prompts import SAT_PROMPT_SUFFIX, sat_prompt
from sat_env.errors import ConfigError

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
IMG = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def _png(color, fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buf, format=fmt, quality=95)
    return buf.getvalue()


def _hf(b: bytes | None, name="x.png"):
    return None if b is None else {"bytes": b, "path": name}


def _parquet(path: Path, cols: dict, schema: list, features: dict | None = None, row_group_size: int = 1):
    meta = {b"huggingface": json.dumps({"info": {"features": features}}).encode()} if features else None
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(cols, schema=pa.schema(schema, metadata=meta)), path, row_group_size=row_group_size)


def _color(img):
    return img.getpixel((4, 4))


def _close(img, color, tol=6):
    return all(abs(a - b) <= tol for a, b in zip(_color(img), color))


def test_unknown_benchmark_and_missing_path(tmp_path):
    with pytest.raises(ConfigError, match="unknown benchmark 'mmbench'.*sat, sat-v2, export, cvbench, blink"):
        load_benchmark("mmbench", tmp_path)
    assert set(BENCHMARKS) == {"sat", "sat-v2", "export", "cvbench", "blink", "vsr", "vsi"}
    for name, expected in [("cvbench", "test_2d.parquet"), ("blink", "val-00000-of-00001.parquet"),
                           ("vsi", "test.jsonl"), ("vsr", ".jsonl"), ("sat", "SAT_<split>.parquet"),
                           ("export", "messages/<split>/shard-"), ("sat-v2", "parquet")]:
        with pytest.raises(ConfigError, match="does not exist") as e:
            load_benchmark(name, tmp_path / "nowhere")
        assert expected in str(e.value)


# --- SAT ----------------------------------------------------------------------------------------------------------

SAT_FEATURES = {"image_bytes": {"feature": {"dtype": "binary", "_type": "Value"}, "_type": "Sequence"},
                "question": {"dtype": "string", "_type": "Value"},
                "answers": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "Sequence"},
                "question_type": {"dtype": "string", "_type": "Value"},
                "correct_answer": {"dtype": "string", "_type": "Value"}}


def _sat_file(path: Path, rows: list[tuple], v2: bool = False):
    col = "images" if v2 else "image_bytes"
    imgs = [[_hf(_png(c), f"{i}.png") if v2 else _png(c) for c in r[0]] for i, r in enumerate(rows)]
    features = dict(SAT_FEATURES)
    if v2:
        del features["image_bytes"]
        features["images"] = {"feature": {"_type": "Image"}, "_type": "Sequence"}
    _parquet(path, {col: imgs, "question": [r[1] for r in rows], "answers": [r[2] for r in rows],
                    "question_type": [r[3] for r in rows], "correct_answer": [r[4] for r in rows]},
             [(col, pa.list_(IMG if v2 else pa.binary())), ("question", pa.string()),
              ("answers", pa.list_(pa.string())), ("question_type", pa.string()), ("correct_answer", pa.string())],
             features)


SAT_TEST = [([RED, BLUE], "How did the camera move?", ["rotated left", "rotated right"], "ego_movement",
             "rotated right"),
            ([GREEN, WHITE], "Did the chair move toward the camera?", ["yes", "no"], "obj_movement", "yes")]
SAT_VAL = [([WHITE], "Is the lamp left of the bed?", ["left", "right"], "other", "left")]


@pytest.fixture
def sat_dir(tmp_path):
    _sat_file(tmp_path / "SAT" / "SAT_test.parquet", SAT_TEST)
    _sat_file(tmp_path / "SAT" / "SAT_val.parquet", SAT_VAL)
    return tmp_path / "SAT"


def test_sat_nested_binary_images_default_test_split(sat_dir):
    items = load_benchmark("sat", sat_dir)
    assert [i.task for i in items] == ["ego_movement", "obj_movement"]
    ego, obj = items
    assert ego.question == "How did the camera move?" and ego.choices == ["rotated left", "rotated right"]
    assert ego.answer == 1  # correct answer is not first in the test split: found by value
    assert [_color(im) for im in ego.images] == [RED, BLUE] and ego.images[0].mode == "RGB"
    assert ego.prefix == SAT_EGO_PREFIX and obj.prefix == "" and obj.answer == 0 and len(obj.images) == 2
    assert ego.kind == "mc" and ego.benchmark == "sat" and ego.id != obj.id
    val = load_benchmark("sat", sat_dir, split="val")
    assert len(val) == 1 and val[0].answer == 0 and _color(val[0].images[0]) == WHITE
    assert len(load_benchmark("sat", sat_dir / "SAT_test.parquet", limit=1)) == 1
    with pytest.raises(ConfigError, match="split 'static'.*found splits"):
        load_benchmark("sat", sat_dir, split="static")


def test_sat_v2_image_structs_and_auto_detection(tmp_path):
    _sat_file(tmp_path / "SAT-v2" / "data" / "test-00000-of-00001.parquet", SAT_TEST, v2=True)
    for name in ("sat-v2", "sat"):
        items = load_benchmark(name, tmp_path / "SAT-v2")
        assert [i.answer for i in items] == [1, 0] and items[0].benchmark == name
        assert [_color(im) for im in items[1].images] == [GREEN, WHITE] and items[0].prefix == SAT_EGO_PREFIX


def test_sat_wrong_columns_and_answer(tmp_path):
    _parquet(tmp_path / "a.parquet", {"q": ["x"]}, [("q", pa.string())])
    with pytest.raises(ConfigError, match="has columns"):
        load_benchmark("sat", tmp_path / "a.parquet")
    _sat_file(tmp_path / "b.parquet", [([RED], "q?", ["a", "b"], "other", "c")])
    with pytest.raises(ConfigError, match="'c' is not among answers"):
        load_benchmark("sat", tmp_path / "b.parquet")


# --- export (messages format, written by hand as sat_env/export/ lays it out) --------------------------------

def _export(root: Path, split="test"):
    recs = [("left_right", "other", "Is the lamp to the left or right of the bed?", ["right", "left"], 1,
             {"numeric": None, "unit": None}, [RED]),
            ("metric_distance", "other", "How far apart are the lamp and the bed, in metres?", ["1.25"], 0,
             {"numeric": 1.25, "unit": "m"}, [GREEN]),
            ("count", "other", "How many chairs are there?", ["0", "1", "2", "3"], 2,
             {"numeric": 2.0, "unit": "count"}, [BLUE, WHITE])]
    lines = []
    for n, (fam, qt, q, answers, ci, truth, colors) in enumerate(recs):
        rid = f"{split}-00000-{n:05d}"
        paths = [f"images/{split}/00000/{rid}_{i}.png" for i in range(len(colors))]
        for p, c in zip(paths, colors):
            (root / p).parent.mkdir(parents=True, exist_ok=True)
            (root / p).write_bytes(_png(c))
        content = [{"type": "image", "image": p} for p in paths] + [{"type": "text", "text": sat_prompt(q, answers)}]
        lines.append(json.dumps({"id": rid, "messages": [
            {"role": "user", "content": content},
            {"role": "assistant", "content": [{"type": "text", "text": answers[ci]}]}],
            "family": fam, "question_type": qt, "answers": answers, "correct_index": ci,
            "truth": {"truth": {}, "objects": [], "label": answers[ci], "image_roles": ["view"] * len(colors),
                      "house": "h0", **truth}}))
    (root / "messages" / split).mkdir(parents=True)
    (root / "messages" / split / "shard-00000.jsonl").write_text("\n".join(lines) + "\n")


def test_export_messages_format(tmp_path):
    _export(tmp_path / "exp")
    items = load_benchmark("export", tmp_path / "exp")
    lr, dist, count = items
    assert lr.task == "left_right" and lr.kind == "mc" and lr.choices == ["right", "left"] and lr.answer == 1
    assert lr.question == "Is the lamp to the left or right of the bed?" and _color(lr.images[0]) == RED
    assert dist.kind == "numeric" and dist.choices == [] and dist.answer == 1.25 and dist.unit == "m"
    assert dist.question.endswith("in metres?") and SAT_PROMPT_SUFFIX not in dist.question
    assert dist.meta["answer_text"] == "1.25" and dist.meta["split"] == "test" and dist.meta["format"] == "messages"
    assert count.kind == "mc" and count.answer == 2 and [_color(i) for i in count.images] == [BLUE, WHITE]
    with pytest.raises(ConfigError, match="no split 'val'"):
        load_benchmark("export", tmp_path / "exp", split="val")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no sat/, messages/ or llava/"):
        load_benchmark("export", tmp_path / "empty")


# --- CV-Bench -----------------------------------------------------------------------------------------------------

CVB_ROWS = [  # idx, type, task, color, question, choices, answer, source
    (0, "2D", "Count", RED, "How many organs are in the image?", ["3", "2", "1", "0"], "(C)", "ADE20K"),
    (1, "2D", "Relation", GREEN, "Considering the relative positions of the cup (annotated by the red box) and the "
     "plate in the image provided, where is the cup (annotated by the red box) located with respect to the plate?",
     ["left", "right"], "(B)", "COCO"),
    (2, "3D", "Depth", BLUE, "Which object is closer to the camera taking this photo, the chair (highlighted by a "
     "red box) or the table (highlighted by a blue box)?", ["chair", "table"], "(A)", "Omni3D"),
]
CVB_FEATURES = {"idx": {"dtype": "int32", "_type": "Value"}, "image": {"_type": "Image"},
                "choices": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "Sequence"}}


def _cvb_cols(rows, with_image=True):
    cols = {"idx": [r[0] for r in rows], "type": [r[1] for r in rows], "task": [r[2] for r in rows],
            "question": [r[4] for r in rows], "choices": [r[5] for r in rows], "answer": [r[6] for r in rows],
            "prompt": [r[4] + " Select from the following choices.\n" + "\n".join(
                f"({'ABCD'[i]}) {c}" for i, c in enumerate(r[5])) for r in rows],
            "filename": [f"img/{r[1]}/{r[2].lower()}/{r[7].lower()}_{r[0]}.png" for r in rows],
            "source": [r[7] for r in rows], "source_dataset": [f"{r[7]} Validation Set" for r in rows],
            "source_filename": ["x.jpg" for _ in rows], "target_class": [None for _ in rows],
            "target_size": [None for _ in rows], "bbox": [None for _ in rows]}
    if with_image:
        cols = {"image": [_hf(_png(r[3])) for r in rows], **cols}
    return cols


def _cvb_parquet(path: Path, rows):
    cols = _cvb_cols(rows)
    types = {"idx": pa.int32(), "image": IMG, "choices": pa.list_(pa.string()), "target_size": pa.int64(),
             "bbox": pa.list_(pa.list_(pa.int64()))}
    _parquet(path, cols, [(k, types.get(k, pa.string())) for k in cols], CVB_FEATURES)


def test_cvbench_parquet_2d_3d(tmp_path):
    _cvb_parquet(tmp_path / "CV-Bench" / "test_2d.parquet", CVB_ROWS[:2])
    _cvb_parquet(tmp_path / "CV-Bench" / "test_3d.parquet", CVB_ROWS[2:])
    items = load_benchmark("cvbench", tmp_path / "CV-Bench")
    assert [i.task for i in items] == ["Count", "Relation", "Depth"] and [i.answer for i in items] == [2, 1, 0]
    assert items[0].choices == ["3", "2", "1", "0"] and items[0].question == "How many organs are in the image?"
    assert [_color(i.images[0]) for i in items] == [RED, GREEN, BLUE]
    assert [i.meta["source"] for i in items] == ["ADE20K", "COCO", "Omni3D"] and len({i.id for i in items}) == 3
    assert cvbench_score([(it, ok) for it, ok in zip(items, [True, False, True])])["cvbench"] == pytest.approx(0.75)
    assert len(load_benchmark("cvbench", tmp_path / "CV-Bench", limit=2)) == 2


def test_cvbench_file_written_by_datasets(tmp_path):
    datasets = pytest.importorskip("datasets")
    feats = datasets.Features({"idx": datasets.Value("int32"), "type": datasets.Value("string"),
                               "task": datasets.Value("string"), "image": datasets.Image(),
                               "question": datasets.Value("string"),
                               "choices": datasets.Sequence(datasets.Value("string")),
                               "answer": datasets.Value("string"), "source": datasets.Value("string")})
    ds = datasets.Dataset.from_dict({"idx": [7], "type": ["3D"], "task": ["Distance"],
                                     "image": [{"bytes": _png(GREEN), "path": None}], "question": ["Which?"],
                                     "choices": [["lamp", "bed"]], "answer": ["(B)"], "source": ["Omni3D"]},
                                    features=feats)
    ds.to_parquet(str(tmp_path / "test-00000-of-00001.parquet"))
    (item,) = load_benchmark("cvbench", tmp_path)
    assert item.answer == 1 and item.task == "Distance" and _color(item.images[0]) == GREEN


def test_cvbench_jsonl_with_img_folder(tmp_path):
    root = tmp_path / "CV-Bench"
    cols = _cvb_cols(CVB_ROWS, with_image=False)
    rows = [dict(zip(cols, vals)) for vals in zip(*cols.values())]
    for r, src in zip(rows, CVB_ROWS):
        (root / r["filename"]).parent.mkdir(parents=True, exist_ok=True)
        (root / r["filename"]).write_bytes(_png(src[3]))
    (root / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    items = load_benchmark("cvbench", root)
    assert [i.answer for i in items] == [2, 1, 0] and _color(items[2].images[0]) == BLUE
    (root / rows[0]["filename"]).unlink()
    with pytest.raises(ConfigError, match="img/"):
        load_benchmark("cvbench", root)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no CV-Bench test files.*test_2d.parquet"):
        load_benchmark("cvbench", tmp_path / "empty")


# --- BLINK --------------------------------------------------------------------------------------------------------

BLINK_ROWS = {  # subtask -> (question, prompt context, choices, answer, image colors)
    "Relative_Depth": ("Which point is closer to the camera?", "Two points are circled on the image, labeled by A "
                       "and B beside each circle. Which point is closer to the camera?\nSelect from the following "
                       "choices.", ["A is closer", "B is closer"], "(B)", [RED]),
    "Spatial_Relation": ("Is the car beneath the cat?", "Is the car beneath the cat?\nSelect from the following "
                         "choices.", ["yes", "no"], "(A)", [GREEN]),
    "Multi-view_Reasoning": ("Is the camera moving left or right when shooting the video?", "The images are frames "
                             "from a video. Is the camera moving left or right when shooting the video? Select from "
                             "the following options.", ["left", "right"], "(A)", [BLUE, WHITE]),
}


def _blink(root: Path, split="val", answer=None):
    for sub, (q, ctx, choices, ans, colors) in BLINK_ROWS.items():
        prompt = ctx + "\n" + "\n".join(f"({'AB'[i]}) {c}" for i, c in enumerate(choices))
        imgs = {f"image_{k}": [_hf(_png(colors[k - 1])) if k <= len(colors) else None] for k in range(1, 5)}
        cols = {"idx": [f"{split}_{sub}_1"], "question": [q], "sub_task": [sub.replace("_", " ")], **imgs,
                "choices": [choices], "answer": [answer or ans], "prompt": [prompt], "explanation": [""]}
        types = {"choices": pa.list_(pa.string()), **{k: IMG for k in imgs}}
        _parquet(root / sub / f"{split}-00000-of-00001.parquet", cols, [(k, types.get(k, pa.string())) for k in cols],
                 {**{k: {"_type": "Image"} for k in imgs}, "choices": {"feature": {"dtype": "string",
                                                                                   "_type": "Value"},
                                                                       "_type": "Sequence"}})


def test_blink_spatial_subsets(tmp_path):
    _blink(tmp_path / "BLINK")
    items = load_benchmark("blink", tmp_path / "BLINK")
    depth, rel, mv = items
    assert [i.task for i in items] == ["Relative Depth", "Spatial Relation", "Multi-view Reasoning"]
    assert depth.question == ("Two points are circled on the image, labeled by A and B beside each circle. Which "
                              "point is closer to the camera?")
    assert depth.choices == ["A is closer", "B is closer"] and depth.answer == 1 and depth.id == "val_Relative_Depth_1"
    assert rel.question == "Is the car beneath the cat?" and rel.answer == 0 and _color(rel.images[0]) == GREEN
    assert mv.question.endswith("when shooting the video?") and "Select" not in mv.question
    assert [_color(i) for i in mv.images] == [BLUE, WHITE]  # image_3 / image_4 are None
    assert len(load_benchmark("blink", tmp_path / "BLINK", subsets=["Spatial_Relation"])) == 1


def test_blink_hidden_test_answers_and_missing_subset(tmp_path):
    _blink(tmp_path / "BLINK", split="test", answer="hidden")
    with pytest.raises(ConfigError, match="not an option letter.*split='val'"):
        load_benchmark("blink", tmp_path / "BLINK", split="test", subsets=["Relative_Depth"])
    with pytest.raises(ConfigError, match="no Relative_Depth/val-\\*.parquet"):
        load_benchmark("blink", tmp_path / "BLINK")


# --- VSR ----------------------------------------------------------------------------------------------------------

def _vsr(root: Path, image_sub="images"):
    rows = [{"image": "000000000001.jpg", "image_link": "http://images.cocodataset.org/train2017/000000000001.jpg",
             "caption": "The cat is behind the laptop.", "label": 1, "relation": "behind", "annotator_id": 1,
             "vote_true_validator_id": "[2]", "vote_false_validator_id": "[]"},
            {"image": "000000000002.jpg", "image_link": "http://images.cocodataset.org/val2017/000000000002.jpg",
             "caption": "The dog is touching the bed.", "label": 0, "relation": "touching", "annotator_id": 2,
             "vote_true_validator_id": "[]", "vote_false_validator_id": "[1, 3]"}]
    root.mkdir(parents=True)
    (root / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for r, c in zip(rows, (RED, BLUE)):
        d = root / image_sub if image_sub else root
        d.mkdir(parents=True, exist_ok=True)
        (d / r["image"]).write_bytes(_png(c, "JPEG"))


def test_vsr_jsonl_and_images(tmp_path):
    _vsr(tmp_path / "vsr")
    a, b = load_benchmark("vsr", tmp_path / "vsr")
    assert a.question == 'Is the following statement about the image true or false? "The cat is behind the laptop."'
    assert a.choices == ["true", "false"] and a.answer == 0 and b.answer == 1
    assert a.task == "Projective" and b.task == "Topological" and a.meta["relation"] == "behind"
    assert _close(a.images[0], RED) and _close(b.images[0], BLUE)


def test_vsr_images_dir_coco_layout_and_missing_image(tmp_path):
    _vsr(tmp_path / "vsr", image_sub=None)
    coco = tmp_path / "coco"
    for name, sub in (("000000000001.jpg", "train2017"), ("000000000002.jpg", "val2017")):
        (coco / sub).mkdir(parents=True, exist_ok=True)
        (tmp_path / "vsr" / name).rename(coco / sub / name)
    items = load_benchmark("vsr", tmp_path / "vsr" / "test.jsonl", images_dir=coco)
    assert len(items) == 2 and _close(items[1].images[0], BLUE)
    with pytest.raises(ConfigError, match="image 000000000001.jpg not found.*images_dir"):
        load_benchmark("vsr", tmp_path / "vsr")


# --- VSI-Bench ----------------------------------------------------------------------------------------------------

VSI_ROWS = [
    {"id": 0, "dataset": "scannet", "scene_name": "scene0001_00", "question_type": "object_rel_distance",
     "question": "Measuring from the closest point of each object, which of these objects (chair, table, sofa) is "
                 "the closest to the bed?", "options": ["A. chair", "B. table", "C. sofa"], "ground_truth": "B"},
    {"id": 1, "dataset": "scannet", "scene_name": "scene0001_00", "question_type": "object_counting",
     "question": "How many chair(s) are in this room?", "options": None, "ground_truth": "3"},
    {"id": 2, "dataset": "arkitscenes", "scene_name": "41069025", "question_type": "object_size_estimation",
     "question": "What is the length of the longest dimension (length, width, or height) of the bed, measured in "
                 "centimeters?", "options": None, "ground_truth": "203"},
]


def _vsi_frames(root: Path):
    for ds, scene, n in (("scannet", "scene0001_00", 12), ("arkitscenes", "41069025", 3)):
        d = root / ds / scene
        d.mkdir(parents=True)
        for i in range(n):  # frame i is (20 i, 0, 0): the sampled indices can be read back from the pixels
            (d / f"{i:05d}.png").write_bytes(_png((20 * i, 0, 0)))


def test_vsi_jsonl_with_frame_folders(tmp_path):
    root = tmp_path / "VSI-Bench"
    _vsi_frames(root)
    (root / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in VSI_ROWS))
    rel, count, size = load_benchmark("vsi", root, num_frames=4)
    assert rel.choices == ["chair", "table", "sofa"] and rel.answer == 1 and rel.kind == "mc"
    assert rel.task == "object_rel_distance" and rel.prefix == VSI_PREFIX and rel.question.startswith("Measuring")
    assert [_color(f)[0] for f in rel.images] == [0, 60, 140, 220]  # frames 0, 3, 7, 11 of 12
    assert count.kind == "numeric" and count.answer == 3.0 and count.unit == "count" and count.choices == []
    assert size.unit == "cm" and size.answer == 203.0 and len(size.images) == 3  # fewer frames than asked: all
    assert rel.meta == {"dataset": "scannet", "scene_name": "scene0001_00"}


def test_vsi_parquet_and_undecodable_video(tmp_path):
    root = tmp_path / "VSI-Bench"
    _vsi_frames(root)
    cols = {k: [r[k] for r in VSI_ROWS] for k in VSI_ROWS[0]}
    types = {"id": pa.int64(), "options": pa.list_(pa.string())}
    _parquet(root / "test-00000-of-00001.parquet", cols, [(k, types.get(k, pa.string())) for k in cols],
             {"options": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "Sequence"}})
    items = load_benchmark("vsi", root, limit=2)
    assert [i.kind for i in items] == ["mc", "numeric"] and len(items[0].images) == 8
    for f in (root / "arkitscenes" / "41069025").iterdir():
        f.unlink()
    (root / "arkitscenes" / "41069025.mp4").write_bytes(b"not a video")
    with pytest.raises(ConfigError, match="imageio-ffmpeg.*41069025/"):
        load_benchmark("vsi", root)
    (root / "arkitscenes" / "41069025.mp4").unlink()
    with pytest.raises(ConfigError, match="neither .*41069025.mp4"):
        load_benchmark("vsi", root)
