"""The `sat` command line. Thin: parse, build a config, call the library."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from sat_env.errors import ConfigError, SatEnvError


def _pose(text: str) -> tuple[float, float, float, float]:
    try:
        vals = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"pose must be x,z,yaw,pitch numbers, got {text!r}") from None
    if len(vals) not in (3, 4):
        raise argparse.ArgumentTypeError(f"pose must be x,z,yaw[,pitch] (metres, degrees), got {text!r}")
    return (*vals, 0.0)[:4] if len(vals) == 3 else tuple(vals)  # type: ignore[return-value]


def _size(text: str) -> tuple[int, int]:
    try:
        if "x" in text:
            w, h = (int(v) for v in text.lower().split("x"))
        else:
            w = h = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be N or WxH pixels, got {text!r}") from None
    if not (8 <= w <= 4096 and 8 <= h <= 4096):
        raise argparse.ArgumentTypeError(f"size must be between 8 and 4096 pixels, got {text!r}")
    return w, h


def _config(args):
    from sat_env.scene.config import HouseConfig

    over = {}
    if getattr(args, "rooms", None):
        over["min_rooms"] = over["max_rooms"] = args.rooms
    if getattr(args, "config", None):
        base = HouseConfig.from_file(args.config).to_dict()
        base.update(over)
        return HouseConfig.from_dict(base)
    return HouseConfig.from_dict(over)


def _scene_house(args) -> tuple[dict, str, int]:
    """(house, label, view seed) of `sat scene`: generated from --seed, or read from --procthor FILE --index N."""
    procthor, index = getattr(args, "procthor", None), getattr(args, "index", None)
    if procthor is None:
        if index is not None:
            raise ConfigError("--index selects a house of a ProcTHOR file: give it with --procthor FILE.jsonl.gz")
        from sat_env.scene import generate_house

        return generate_house(args.seed, _config(args)), f"house seed {args.seed}", args.seed
    if getattr(args, "rooms", None) or getattr(args, "config", None):
        raise ConfigError("--rooms and --config shape generated houses; they do not apply to --procthor houses")
    from sat_env.scene.procthor import load_procthor

    index = 0 if index is None else index
    return load_procthor(procthor, index), f"ProcTHOR house {index} of {procthor}", index


def cmd_scene(args) -> int:
    import warnings

    from sat_env.backends.embedded import EmbeddedBackend
    from sat_env.backends.views import sample_views
    from sat_env.scene import save_house
    from sat_env.viz import depth_image, depth_preview, ids_image, topdown

    house, label, view_seed = _scene_house(args)
    w, h = args.size
    backend = EmbeddedBackend(width=w, height=h, fov=args.fov)
    with warnings.catch_warnings(record=True) as caught:  # unknown assets: one line each, not a traceback-like dump
        warnings.simplefilter("always")
        backend.load(house)
    for wrn in caught:
        print(f"warning: {wrn.message}", file=sys.stderr)
    rng = np.random.default_rng(np.random.SeedSequence([view_seed, 1]))
    poses = sample_views(backend, rng, args.views)
    views = [(p, backend.view(p)) for p in poses]
    scene = backend.scene
    first = poses[0] if poses else backend.pose
    hfov = views[0][1].camera.hfov if views else args.fov
    plan = topdown(scene, agent=(first.x, first.z, first.yaw), fov=hfov)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    save_house(house, out / "house.json")
    plan.save(out / "topdown.png")
    meta = []
    from PIL import Image

    for k, (p, v) in enumerate(views):
        stem = "" if k == 0 else f"_{k}"
        Image.fromarray(v.rgb).save(out / f"rgb{stem}.png")
        depth_image(v.depth).save(out / f"depth{stem}.png")
        depth_preview(v.depth).save(out / f"depth_preview{stem}.png")
        ids_image(v.ids).save(out / f"ids{stem}.png")
        visible = sorted(o["objectId"] for o in v.objects if o["pixelCount"] > 0)
        meta.append({"view": k, "pose": {"x": p.x, "z": p.z, "yaw": p.yaw, "pitch": p.horizon},
                     "files": [f"rgb{stem}.png", f"depth{stem}.png", f"ids{stem}.png"], "objects_in_view": visible})
    (out / "views.json").write_text(json.dumps({"size": [w, h], "fov": args.fov,
                                                 "depth_png": "uint16 millimetres, 0 = no surface",
                                                 "views": meta}, indent=2) + "\n")
    n_obj = len(scene.objects)
    print(f"{label}: {len(scene.rooms)} rooms ({', '.join(r.room_type for r in scene.rooms)}), "
          f"{n_obj} objects, {len(scene.solids)} solids")
    if getattr(args, "procthor", None):  # generated houses are valid by construction; report what a foreign one lacks
        from sat_env.scene.validate import geometry_problems

        problems = geometry_problems(scene)
        for p in problems[:10]:
            print(f"validation: {p}")
        more = f" ({len(problems) - 10} more not shown)" if len(problems) > 10 else ""
        print(f"validation: {len(problems)} problem(s){more}" if problems else "validation: no problems")
    print(f"wrote {out}/house.json, topdown.png and {len(views)} views (rgb/depth/ids *.png, views.json)")
    backend.close()
    return 0


def cmd_render(args) -> int:
    from PIL import Image

    from sat_env.backends.base import AgentPose
    from sat_env.backends.embedded import EmbeddedBackend
    from sat_env.scene import load_house
    from sat_env.viz import depth_image, ids_image

    house = load_house(args.house)
    x, z, yaw, pitch = args.pose
    w, h = args.size
    backend = EmbeddedBackend(width=w, height=h, fov=args.fov)
    backend.load(house)
    v = backend.view(AgentPose(x, z, yaw, pitch))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(v.rgb).save(out)
    if args.depth:
        depth_image(v.depth).save(args.depth)
    if args.ids:
        ids_image(v.ids).save(args.ids)
    print(f"wrote {out}" + (f", {args.depth}" if args.depth else "") + (f", {args.ids}" if args.ids else ""))
    backend.close()
    return 0


def cmd_demo(args) -> int:
    out = Path(args.out)
    print("SAT-Env demo (embedded backend)\n1/5 generating an apartment and rendering views")
    ns = argparse.Namespace(seed=args.seed, out=str(out / "scene"), size=(512, 512), fov=90.0, views=4,
                            config=None, rooms=None)
    cmd_scene(ns)
    print(f"2/5 exporting {args.num_qa} QAs (SAT mix, 224 px) in the sat, llava and messages formats")
    import shutil

    shutil.rmtree(out / "export", ignore_errors=True)  # the demo starts afresh each time
    parser = build_parser()  # the commands' own defaults
    cmd_export(parser.parse_args(["export", "--out", str(out / "export"), "--num-qa", str(args.num_qa),
                                  "--size", "224", "--seed", str(args.seed), "--shard-size", "100"]))
    print("3/5 dataset statistics")
    cmd_stats(parser.parse_args(["stats", str(out / "export")]))
    print("4/5 an HTML gallery of the export")
    cmd_browse(parser.parse_args(["browse", str(out / "export"), "--out", str(out / "gallery.html"), "--n", "100",
                                  "--no-progress"]))
    print("5/5 a short rollout of SAT-Dynamic-v0 with the oracle agent")
    from agents.evaluate import evaluate

    s = evaluate("oracle", "SAT-Dynamic-v0", 2, env_kwargs={"size": 224, "num_questions": 5},
                 out=str(out / "rollout"), video_dir=str(out / "rollout" / "video"))
    print(f"  oracle accuracy {s['table'][-1]['accuracy']:.2f} over {s['table'][-1]['questions']} questions")
    print(f"demo outputs are in {out}/: scene/ (topdown.png, rgb*.png), export/ (manifest.json, sat/, llava/, "
          "messages/, images/, stats.png), gallery.html (open in a browser), rollout/ (summary.csv, video/)")
    return 0


def cmd_ask(args) -> int:
    from PIL import Image

    from qa.sampler import load_families
    from sat_env.envs.qa_env import SATQAEnv
    from sat_env.errors import ConfigError

    fams = load_families()
    if args.family and args.family not in fams:
        raise ConfigError(f"unknown family {args.family!r}; available: {', '.join(sorted(fams))}")
    # The QA envs' question loop (viewpoints, family and label draws, balancing), on this one house
    env = SATQAEnv(families=[args.family] if args.family else sorted(fams), size=tuple(args.size), num_questions=1,
                   houses=[args.seed])
    try:
        env.reset(seed=args.seed)
        qa = env.privileged()["qa"]
    except ConfigError:
        qa = None
    finally:
        env.close()
    if qa is None:
        print(f"sat ask: no valid {args.family or 'question'} in house {args.seed}'s sampled views; try another --seed",
              file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for role, img in qa.frames.items():
        Image.fromarray(img).save(out / f"{role}.png")
    record = {**qa.to_json(), "house_seed": args.seed, "image_files": [f"{r}.png" for r in qa.images]}
    (out / "qa.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"[{qa.family} / {qa.sat_type}] images: {', '.join(record['image_files'])}")
    print(qa.question)
    for k, c in enumerate(qa.choices):
        print(f"  {'*' if k == qa.correct else ' '} {chr(65 + k)}. {c}")
    print(f"wrote {out}/qa.json and {len(qa.frames)} image(s)")
    return 0


def cmd_audit(args) -> int:
    import csv

    from qa.audit import run_audit, write_chart
    from qa.sampler import load_families
    from sat_env.errors import ConfigError

    fams = load_families()
    families = args.families or sorted(fams)
    bad = [f for f in families if f not in fams]
    if bad:
        raise ConfigError(f"unknown families {bad}; available: {', '.join(sorted(fams))}")

    def progress(done, total, houses):
        print(f"\r  {done}/{total} QAs from {houses} houses", end="", file=sys.stderr, flush=True)

    rows = run_audit(args.n, families, size=args.size, seed=args.seed, progress=progress,
                     check_rules=not args.no_rules)
    print(file=sys.stderr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from qa.rulecheck import RULES

    cols = ["family", "count", "attempts", "success_rate", "view_rate", "label_balance", "label_max_dev_pts",
            "position_max_dev_pts", "multiple_choice", "text_only_acc", "text_only_se", "blind_acc", "chance",
            "break_any", *[f"break_{r}" for r in RULES]]
    with open(out / "audit.csv", "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=cols)
        wr.writeheader()
        wr.writerows(rows)
    write_chart(rows, out / "audit.png")
    print(f"{'family':<20}{'n':>6}{'success':>9}{'views':>7}{'label dev':>11}{'pos dev':>9}{'mc':>6}"
          f"{'text-only':>11}{'blind':>7}{'(se)':>7}{'chance':>8}{'breaks':>8}")
    for r in rows:
        print(f"{r['family']:<20}{r['count']:>6}{r['success_rate']:>9.2f}{r['view_rate']:>7.2f}"
              f"{r['label_max_dev_pts']:>10.1f}p{r['position_max_dev_pts']:>8.1f}p{r['multiple_choice']:>6}"
              f"{r['text_only_acc']:>11.3f}{r['blind_acc']:>7.3f}{r['text_only_se']:>7.3f}{r['chance']:>8.3f}"
              f"{r['break_any']:>8.3f}")
    print("success: accepted QAs per attempt (target label fixed in advance, balancer applied); views: share of "
          "attempted views with a valid instance for some label; mc: multiple-choice QAs (the baselines' test set); "
          "text-only: bag-of-words baseline; blind: ordered categories + wording baseline; breaks: share of QAs "
          "breaking any picture rule (per rule in audit.csv)")
    print(f"wrote {out}/audit.csv and {out}/audit.png")
    return 0


def _env_kwargs(items) -> dict:
    out = {}
    for it in items or []:
        if "=" not in it:
            raise ConfigError(f"--env-kwarg needs KEY=VALUE, got {it!r}")
        k, v = it.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def cmd_train_ppo(args) -> int:
    from agents.ppo import train_ppo

    path = train_ppo(args.env, args.timesteps, args.out, env_kwargs=_env_kwargs(args.env_kwarg), seed=args.seed,
                     n_envs=args.n_envs, checkpoint_every=args.checkpoint_every, wandb_mode=args.wandb,
                     progress_bar=not args.no_progress)
    print(f"saved {path} (checkpoints in {Path(args.out) / 'checkpoints'}, TensorBoard logs in "
          f"{Path(args.out) / 'tb'}, episode metrics in {Path(args.out) / 'metrics.jsonl'})")
    return 0


def cmd_evaluate_agent(args) -> int:
    from agents.evaluate import evaluate

    def progress(done, total):
        print(f"\r  episode {done}/{total}", end="", file=sys.stderr, flush=True)

    out = args.out or f"eval_out/{args.env}_{args.agent.replace(':', '_').replace('/', '_')}"
    summary = evaluate(args.agent, args.env, args.episodes, env_kwargs=_env_kwargs(args.env_kwarg), seed=args.seed,
                       video_dir=args.video, out=out, progress=progress)
    print(file=sys.stderr)
    rows = summary["table"]
    keys = list(rows[0])
    print("  ".join(f"{k:>16}" for k in keys))
    for r in rows:
        print("  ".join(f"{v:>16.3f}" if isinstance(v, float) else f"{str(v):>16}" for v in r.values()))
    print(f"wrote {out}/summary.csv and episodes.json" + (f"; videos in {args.video}" if args.video else ""))
    return 0


def cmd_export(args) -> int:
    from sat_env.configargs import config_from_args
    from sat_env.export import ExportConfig, run_export

    mix = args.mix
    if mix and mix.strip().startswith("{"):
        try:
            mix = json.loads(mix)
        except json.JSONDecodeError as e:
            raise ConfigError(f"--mix is neither a mix name nor a JSON object of family weights: {e}") from e
    cfg = config_from_args(ExportConfig, args, mix=mix or "sat",
                           formats=[f.strip() for f in args.format.split(",") if f.strip()])
    m = run_export(cfg, workers=args.workers, engine=args.engine, resume=args.resume, progress=not args.no_progress)
    n = sum(s["records"] for s in m["splits"].values())
    size = sum(f.stat().st_size for f in Path(args.out).rglob("*") if f.is_file())
    print(f"exported {n} QAs ({len(m['families'])} families) to {args.out} in {m['seconds']:.1f} s "
          f"({n / max(m['seconds'], 1e-9):.1f} QA/s); {size / 2**20:.1f} MiB on disk "
          f"({size / 2**20 / n * 1000:.1f} MiB per 1,000 QAs)")
    for fam, c in m["families"].items():
        print(f"  {fam:<22}{c:>8}")
    print(f"manifest: {args.out}/manifest.json")
    return 0


def cmd_stats(args) -> int:
    from finetune.stats import export_stats, write_chart

    st = export_stats(args.dir)
    for split, fams in st["splits"].items():
        print(f"split {split}: {st['records'][split]} QAs")
        for fam, c in fams.items():
            shares = " ".join(f"{k}:{v:.2f}" for k, v in st["labels"].get(fam, {}).items())
            print(f"  {fam:<22}{c:>8}   {shares if len(shares) < 90 else shares[:87] + '...'}")
    print("image sizes: " + ", ".join(f"{k} ({v} sampled)" for k, v in st["image_sizes"].items()))
    out = Path(args.chart or Path(args.dir) / "stats.png")
    write_chart(st, out)
    (out.with_suffix(".json")).write_text(json.dumps(st, indent=1) + "\n")
    print(f"wrote {out} and {out.with_suffix('.json')}")
    return 0


def cmd_browse(args) -> int:
    from finetune.browse import build_gallery

    bar = None
    if not args.no_progress:
        from sat_env.progress import ProgressBar

        bar = ProgressBar(args.n)
    try:
        r = build_gallery(args.dir, args.out, n=args.n, split=args.split, fmt=args.format, seed=args.seed,
                          progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    print(f"wrote {args.out}: {r['records']} QAs from the {r['format']} format, {len(r['families'])} families, "
          f"{r['bytes'] / 2**20:.1f} MiB (self-contained; open it in a browser)")
    return 0


def finetune_config(args):
    """The SFTConfig of parsed `sat finetune` arguments (the shortcuts --lora/--full, --bf16/--fp16 applied)."""
    from finetune.sft import SFTConfig
    from sat_env.configargs import config_from_args

    method = "lora" if args.lora else "full" if args.full else args.method
    precision = "bf16" if args.bf16 else "fp16" if args.fp16 else args.precision
    if method != args.method and args.method != "auto":
        raise ConfigError(f"--{method} contradicts --method {args.method}: pass one of them")
    if precision != args.precision and args.precision != "auto":
        raise ConfigError(f"--{precision} contradicts --precision {args.precision}: pass one of them")
    return config_from_args(SFTConfig, args, method=method, precision=precision)


def cmd_finetune(args) -> int:
    from finetune import quiet_hf

    quiet_hf()
    from finetune.sft import train

    s = train(finetune_config(args), resume=args.resume, progress=not args.no_progress)
    what = "LoRA adapter" if s["method"] == "lora" else "model"
    print(f"saved the {what} to {args.out} ({s['steps']} steps this run, loss {s.get('first_loss', float('nan')):.3f}"
          f" -> {s['final_loss']:.3f}); metrics in {Path(args.out) / 'metrics.jsonl'}")
    print(f"evaluate it: sat evaluate --model {args.out} --data HELD_OUT_EXPORT --out {Path(args.out) / 'eval'}")
    return 0


def cmd_evaluate(args) -> int:
    from finetune import quiet_hf

    quiet_hf()
    from finetune.evaluate import evaluate_model, print_table

    rows = evaluate_model(args.model, args.out, adapter=args.adapter, data=args.data, benchmark=args.benchmark,
                          benchmark_path=args.benchmark_path, split=args.split, circular=args.circular,
                          limit=args.limit, batch_size=args.batch_size, max_new_tokens=args.max_new_tokens,
                          device=args.device, style=args.prompt, progress=not args.no_progress,
                          likelihood=args.likelihood)
    print_table(rows)
    print(f"wrote {args.out}/results.csv, results.png, predictions.jsonl and summary.json")
    return 0


def cmd_info(args) -> int:
    import sat_env
    from sat_env.render import gl_info

    print(f"sat-env {sat_env.__version__}")
    for k, v in gl_info().items():
        print(f"{k}: {v}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sat",
        description="SAT-Env: procedural apartments, headless rendering and spatial questions for training "
        "vision-language models. Run `sat COMMAND --help` for each command.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("scene", help="generate an apartment; write house.json, a floor plan and rendered views",
                       description="Generate an apartment from a seed (or read one from a ProcTHOR-10K file) and "
                       "write house.json, topdown.png (floor plan with rooms, labelled objects and the first view's "
                       "cone), and rgb/depth/ids PNGs of views from sampled reachable poses. Depth PNGs are uint16 "
                       "millimetres.")
    s.add_argument("--seed", type=int, default=0, help="house seed (default 0)")
    s.add_argument("--procthor", metavar="FILE.jsonl.gz",
                   help="read the house from a local ProcTHOR-10K file (gzipped JSON Lines, e.g. train.jsonl.gz) "
                   "instead of generating one")
    s.add_argument("--index", type=int, metavar="N", help="with --procthor: which house (0-based line; default 0)")
    s.add_argument("--out", required=True, help="output directory")
    s.add_argument("--size", type=_size, default=(512, 512), help="image size N or WxH (default 512)")
    s.add_argument("--fov", type=float, default=90.0, help="vertical field of view in degrees (default 90)")
    s.add_argument("--views", type=int, default=3, help="number of egocentric views (default 3)")
    s.add_argument("--rooms", type=int, choices=range(1, 9), metavar="{1..8}", help="exact number of rooms")
    s.add_argument("--config", help="JSON/YAML file of HouseConfig overrides")
    s.set_defaults(func=cmd_scene)

    r = sub.add_parser("render", help="render one view of a house file",
                       description="Render the view from a pose in a house JSON file.")
    r.add_argument("--house", required=True, help="house JSON file (from `sat scene` or ProcTHOR format)")
    r.add_argument("--pose", type=_pose, required=True, help="x,z,yaw[,pitch]: metres and degrees (pitch + = down)")
    r.add_argument("--out", required=True, help="output PNG for the RGB image")
    r.add_argument("--size", type=_size, default=(512, 512), help="image size N or WxH (default 512)")
    r.add_argument("--fov", type=float, default=90.0, help="vertical field of view in degrees (default 90)")
    r.add_argument("--depth", help="also write depth here (uint16 PNG, millimetres)")
    r.add_argument("--ids", help="also write colour-coded instance ids here")
    r.set_defaults(func=cmd_render)

    d = sub.add_parser("demo", help="the main job on the embedded default (what `make demo` runs)")
    d.add_argument("--out", default="demo_out", help="output directory (default demo_out)")
    d.add_argument("--seed", type=int, default=0, help="house and export seed (default 0)")
    d.add_argument("--num-qa", type=int, default=300, help="QAs in the demo export (default 300)")
    d.set_defaults(func=cmd_demo)

    a = sub.add_parser("ask", help="sample one spatial question in a generated apartment and write its images",
                       description="Sample a question (of one family, or any) from good views of house SEED; write the "
                       "image(s) it refers to (marked.png, before.png/after.png, ...) and qa.json, and print it.")
    a.add_argument("--seed", type=int, default=0, help="house seed (default 0)")
    a.add_argument("--family", help="question family (default: any); see `sat audit --help` for the list")
    a.add_argument("--size", type=_size, default=(512, 512), help="image size N or WxH (default 512)")
    a.add_argument("--out", required=True, help="output directory")
    a.set_defaults(func=cmd_ask)

    au = sub.add_parser("audit", help="sample many QAs: success rates, answer balance, blind baselines, picture rules",
                        description="Sample about N QAs over generated houses and report per family: count, "
                        "sampling success rate (balanced: label drawn first), the share of views with a valid instance "
                        "for some label, answer-label balance, correct-position balance, the accuracy of two blind "
                        "baselines on the multiple-choice QAs (trained on half, tested on the other half) next to "
                        "chance: a bag-of-words model of question and choices, and a model of the named objects' "
                        "categories in order, the wording template and the choices; and the share of QAs breaking "
                        "each picture rule (objects cut off, too small, hidden by marks; ambiguous counts; picture "
                        "against the 3D answer; perspective's X off the floor; blocked views), measured from the "
                        "rendered ids and depth independently of the samplers. Writes audit.csv and audit.png.")
    au.add_argument("--n", type=int, default=5000, help="total QAs (split evenly over families; default 5000)")
    au.add_argument("--families", nargs="+", help="families to audit (default: all)")
    au.add_argument("--size", type=int, default=224, help="image size (default 224)")
    au.add_argument("--seed", type=int, default=0, help="first house seed (default 0)")
    au.add_argument("--out", default="audit_out", help="output directory (default audit_out)")
    au.add_argument("--no-rules", action="store_true",
                    help="skip checking each QA against the picture rules (faster; the break_* columns are empty)")
    au.set_defaults(func=cmd_audit)

    t = sub.add_parser("train-ppo", help="train a stable-baselines3 PPO agent on an environment",
                       description="Train PPO (multi-input CNN policy on SB3ObsWrapper observations) with checkpoints, "
                       "TensorBoard logs, episode metrics (metrics.jsonl) and wandb logging (offline by default).")
    t.add_argument("--env", required=True, help="environment id, e.g. SAT-ObjectNav-Easy-v0")
    t.add_argument("--timesteps", type=int, required=True, help="environment steps to train for")
    t.add_argument("--out", required=True, help="output directory")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--n-envs", type=int, default=4, help="parallel envs in one process (default 4)")
    t.add_argument("--checkpoint-every", type=int, default=10_000, help="steps between checkpoints")
    t.add_argument("--wandb", choices=["disabled", "offline", "online"], default="offline")
    t.add_argument("--env-kwarg", action="append", metavar="KEY=VALUE", help="env constructor argument (JSON value)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train_ppo)

    e = sub.add_parser("evaluate-agent", help="evaluate random / oracle / PPO / model-policy agents on an environment",
                       description="Run episodes and report accuracy per family (QA envs) or success, SPL, episode "
                       "length and distance to goal (ObjectNav); write summary.csv, episodes.json, trajectory PNGs "
                       "and, with --video, episode GIFs.")
    e.add_argument("--agent", required=True, help="random, random-walk (ObjectNav, never Done), forward (ObjectNav: "
                   "ahead, turning while blocked), scan-walker (ObjectNav: the model policy's movement rule without "
                   "a model: forward plus look-arounds), oracle-answers (that rule with truthful answers), oracle, "
                   "ppo:PATH (a model.zip or its folder; actions sampled with --seed), ppo-greedy:PATH (argmax "
                   "actions) or "
                   "model:PATH[@ADAPTER] (a fine-tuned VLM: answers QA envs; in ObjectNav asks the nav_visible, "
                   "nav_stop and nav_direction questions each step)")
    e.add_argument("--env", required=True, help="environment id")
    e.add_argument("--episodes", type=int, default=20)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--video", help="directory for episode GIFs")
    e.add_argument("--out", help="output directory (default eval_out/ENV_AGENT)")
    e.add_argument("--env-kwarg", action="append", metavar="KEY=VALUE", help="env constructor argument (JSON value)")
    e.set_defaults(func=cmd_evaluate_agent)

    x = sub.add_parser("export", help="export a QA dataset (SAT parquet, LLaVA JSON, chat messages JSONL)",
                       description="Sample QAs from generated apartments and write them in resumable shards with a "
                       "manifest (config, seeds, code version, counts, sha256 per shard). Splits are disjoint by "
                       "house. An interrupted export (even by SIGKILL) finishes with --resume, identical to an "
                       "uninterrupted run. Needs pyarrow for the sat format: pip install -e \".[export]\".")
    from sat_env.configargs import add_config_arguments
    from sat_env.export import FORMATS, ExportConfig

    # ExportConfig's fields with their docstrings as help (sat_env/configargs.py); --mix and --format parse text
    add_config_arguments(x, ExportConfig, skip=("mix", "formats"))
    x.add_argument("--mix", help="sat (SAT's static/dynamic proportions, default), static, dynamic, nav (the model "
                   "policy's nav_visible / nav_direction / nav_stop questions), or a JSON object of family weights")
    x.add_argument("--format", default=",".join(FORMATS), help=f"comma list of {', '.join(FORMATS)} (default all)")
    x.add_argument("--workers", type=int, default=1, help="local worker processes, each with its own GL context")
    x.add_argument("--engine", default="local", choices=["local", "ray"], help="local processes or Ray tasks")
    x.add_argument("--resume", action="store_true", help="finish an interrupted export of the same config")
    x.add_argument("--no-progress", action="store_true", help="no progress bar")
    x.set_defaults(func=cmd_export)

    st = sub.add_parser("stats", help="counts per family and split, label balance and image sizes of an export",
                        description="Summarise a `sat export` folder and write a bar chart (stats.png) and "
                        "stats.json.")
    st.add_argument("dir", help="export folder")
    st.add_argument("--chart", help="chart PNG path (default DIR/stats.png)")
    st.set_defaults(func=cmd_stats)

    b = sub.add_parser("browse", help="a self-contained HTML gallery of an export",
                       description="Write one HTML file (thumbnails embedded, no network needed) showing a sample "
                       "of an export: frames with their roles, question, choices with the correct one in green, "
                       "family and SAT type; hovering a card shows its ground truth (numbers, objects, label, "
                       "house); buttons filter by family. The sample is spread evenly over families.")
    b.add_argument("dir", help="export folder (the --out of `sat export`)")
    b.add_argument("--out", default="gallery.html", help="HTML file to write (default gallery.html)")
    b.add_argument("--n", type=int, default=200, help="QAs to show (default 200)")
    b.add_argument("--split", choices=["train", "val", "test"], help="only this split (default: all present)")
    b.add_argument("--format", choices=["sat", "llava", "messages"], help="format to read (default: sat if "
                   "exported, else messages, else llava)")
    b.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.set_defaults(func=cmd_browse)

    ft = sub.add_parser("finetune", help="fine-tune a local vision-language model on an export (LoRA or full)",
                        description="Supervised fine-tuning of a local Hugging Face image-text-to-text checkpoint "
                        "(LLaVA, LLaVA-NeXT, Qwen2-VL/2.5-VL, Idefics3/SmolVLM, PaliGemma, ...) on a `sat export`: "
                        "SAT's prompt in the processor's chat template, loss on the answer tokens only, cosine "
                        "schedule, checkpoints every --save-every steps (--resume continues), metrics.jsonl and "
                        "wandb (offline by default). SAT's recipe for LLaVA is the LoRA default: r 128, alpha 256 on "
                        "the language model's q_proj/v_proj, 60/40 with instruct data (--mix-instruct). --model tiny "
                        "builds a tiny LLaVA offline (tokenizer trained on the data) and trains it fully: LoRA on a "
                        "random init does not learn. --model small builds SAT-Small (finetune/small.py), a "
                        "from-scratch model that picks among the options and learns spatial questions on a CPU. "
                        "--data env:MIX streams fresh QAs "
                        "from the QA envs instead of reading an export (seeded, resumable, no house seen twice). "
                        "Needs pip install -e \".[train]\".")
    from finetune.sft import SFTConfig
    from sat_env.configargs import add_config_arguments

    # every option of SFTConfig, with its docstring as help (sat_env/configargs.py), plus four shortcuts
    add_config_arguments(ft, SFTConfig, help_extra={"method": "(shortcuts: --lora, --full)",
                                                    "precision": "(shortcuts: --bf16, --fp16)"})
    g = ft.add_mutually_exclusive_group()
    g.add_argument("--lora", action="store_true", help="--method lora")
    g.add_argument("--full", action="store_true", help="--method full")
    pg = ft.add_mutually_exclusive_group()
    pg.add_argument("--bf16", action="store_true", help="--precision bf16")
    pg.add_argument("--fp16", action="store_true", help="--precision fp16")
    ft.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    ft.add_argument("--no-progress", action="store_true", help="no progress bar")
    ft.set_defaults(func=cmd_finetune)

    ev = sub.add_parser("evaluate", help="accuracy of a model on an export or a spatial benchmark",
                        description="Greedy answers of a local model (plus --adapter) scored per family / task: "
                        "multiple choice by exact match on option text or letter (--circular: every rotation of the "
                        "choices must be right), numeric answers by mean relative accuracy (VSI-Bench) and the "
                        "within-[0.5x, 2x] rate (SpatialVLM). Benchmarks are read from local copies in their public "
                        "formats: sat (array/SAT, nested image bytes), sat-v2, cvbench, blink, vsr, vsi. Writes "
                        "results.csv, results.png, predictions.jsonl, summary.json.")
    ev.add_argument("--model", required=True, help="checkpoint directory or a `sat finetune` output")
    ev.add_argument("--adapter", help="a peft adapter directory to apply")
    ev.add_argument("--data", help="a `sat export` folder")
    ev.add_argument("--benchmark", choices=["sat", "sat-v2", "export", "cvbench", "blink", "vsr", "vsi"],
                    help="a public benchmark (with --benchmark-path)")
    ev.add_argument("--benchmark-path", help="local copy of the benchmark's files")
    ev.add_argument("--split", help="split to read (default: the benchmark's evaluation split)")
    ev.add_argument("--circular", action="store_true", help="circular evaluation of multiple choice")
    ev.add_argument("--limit", type=int, help="first N items only")
    ev.add_argument("--prompt", default="sat", choices=["sat", "lettered"],
                    help="sat: quoted options as SAT trains (default); lettered: (A)/(B) options")
    ev.add_argument("--batch-size", type=int, default=8, help="prompts per generate call (default 8)")
    ev.add_argument("--max-new-tokens", type=int, default=32, help="answer length limit (default 32)")
    ev.add_argument("--likelihood", action="store_true", help="score multiple choice by the most likely option "
                    "instead of generating (for small models that cannot yet spell every option)")
    ev.add_argument("--device", help="cpu, cuda, ... (default: cuda when available)")
    ev.add_argument("--out", required=True, help="output folder")
    ev.add_argument("--no-progress", action="store_true", help="no progress output")
    ev.set_defaults(func=cmd_evaluate)

    i = sub.add_parser("info", help="print version and the OpenGL renderer in use")
    i.set_defaults(func=cmd_info)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SatEnvError as e:
        print(f"sat {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
