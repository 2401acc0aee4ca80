"""The `sat` command line. Thin: parse, build a config, call the library."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sat_env.backends.base import SIZE_RANGE
from sat_env.configargs import add_config_arguments, add_function_arguments, call_with_args, config_from_args
from sat_env.errors import ConfigError, SatEnvError
from sat_env.progress import ProgressBar


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
    lo, hi = SIZE_RANGE
    if not (lo <= w <= hi and lo <= h <= hi):
        raise argparse.ArgumentTypeError(f"size must be between {lo} and {hi} pixels, got {text!r}")
    return w, h


def cmd_scene(args) -> int:
    from sat_env.snapshot import write_scene

    s = call_with_args(write_scene, args, warn=lambda m: print(f"warning: {m}", file=sys.stderr))
    print(f"{s['label']}: {len(s['rooms'])} rooms ({', '.join(s['rooms'])}), {s['objects']} objects, "
          f"{s['solids']} solids")
    if s["problems"] is not None:
        for p in s["problems"][:10]:
            print(f"validation: {p}")
        more = f" ({len(s['problems']) - 10} more not shown)" if len(s["problems"]) > 10 else ""
        print(f"validation: {len(s['problems'])} problem(s){more}" if s["problems"] else "validation: no problems")
    print(f"wrote {args.out}/house.json, topdown.png and {s['views']} views (rgb/depth/ids *.png, views.json)")
    return 0


def cmd_render(args) -> int:
    from sat_env.snapshot import render_view

    call_with_args(render_view, args)
    print(f"wrote {args.out}" + (f", {args.depth}" if args.depth else "") + (f", {args.ids}" if args.ids else ""))
    return 0


def cmd_demo(args) -> int:
    out = Path(args.out)
    print("SAT-Env demo (embedded backend)\n1/5 generating an apartment and rendering views")
    parser = build_parser()  # the commands' own defaults
    cmd_scene(parser.parse_args(["scene", "--seed", str(args.seed), "--out", str(out / "scene"), "--views", "4"]))
    print(f"2/5 exporting {args.num_qa} QAs (SAT mix, 224 px) in the sat, llava and messages formats")
    import shutil

    shutil.rmtree(out / "export", ignore_errors=True)  # the demo starts afresh each time
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
    from sat_env.tasks.questions import ask, save_question

    qa = call_with_args(ask, args)
    if qa is None:
        print(f"sat ask: no valid {args.family or 'question'} in house {args.seed}'s sampled views; try another --seed",
              file=sys.stderr)
        return 1
    record = save_question(qa, args.out, house_seed=args.seed)
    print(f"[{qa.family} / {qa.sat_type}] images: {', '.join(record['image_files'])}")
    print(qa.question)
    for k, c in enumerate(qa.choices):
        print(f"  {'*' if k == qa.correct else ' '} {chr(65 + k)}. {c}")
    print(f"wrote {args.out}/qa.json and {len(qa.frames)} image(s)")
    return 0


def cmd_audit(args) -> int:
    from sat_env.tasks.audit import format_table, run_audit, write_audit

    def progress(done, total, houses):
        print(f"\r  {done}/{total} QAs from {houses} houses", end="", file=sys.stderr, flush=True)

    rows = call_with_args(run_audit, args, progress=progress)
    print(file=sys.stderr)
    write_audit(rows, args.out)
    print(format_table(rows))
    print(f"wrote {args.out}/audit.csv and {args.out}/audit.png")
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

    path = call_with_args(train_ppo, args, env_kwargs=_env_kwargs(args.env_kwarg), progress_bar=not args.no_progress)
    print(f"saved {path} (checkpoints in {Path(args.out) / 'checkpoints'}, TensorBoard logs in "
          f"{Path(args.out) / 'tb'}, episode metrics in {Path(args.out) / 'metrics.jsonl'})")
    return 0


def cmd_evaluate_agent(args) -> int:
    from agents.evaluate import evaluate

    def progress(done, total):
        print(f"\r  episode {done}/{total}", end="", file=sys.stderr, flush=True)

    out = args.out or f"eval_out/{args.env_id}_{args.agent_spec.replace(':', '_').replace('/', '_')}"
    summary = call_with_args(evaluate, args, env_kwargs=_env_kwargs(args.env_kwarg), out=out, progress=progress)
    print(file=sys.stderr)
    rows = summary["table"]
    keys = list(rows[0])
    print("  ".join(f"{k:>16}" for k in keys))
    for r in rows:
        print("  ".join(f"{v:>16.3f}" if isinstance(v, float) else f"{str(v):>16}" for v in r.values()))
    print(f"wrote {out}/summary.csv and episodes.json" + (f"; videos in {args.video_dir}" if args.video_dir else ""))
    return 0


def cmd_export(args) -> int:
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
    made = m["made"]  # the rate is of this run's QAs (a resume makes only what was missing)
    size = sum(f.stat().st_size for f in Path(args.out).rglob("*") if f.is_file())
    rate = f"{made / max(m['seconds'], 1e-9):.1f} QA/s" if made else "nothing left to make"
    print(f"exported {n} QAs ({len(m['families'])} families) to {args.out}: {made} made in {m['seconds']:.1f} s "
          f"({rate}); {size / 2**20:.1f} MiB on disk ({size / 2**20 / n * 1000:.1f} MiB per 1,000 QAs)")
    for fam, c in m["families"].items():
        print(f"  {fam:<22}{c:>8}")
    print(f"manifest: {args.out}/manifest.json")
    return 0


def cmd_stats(args) -> int:
    from finetune.stats import export_stats, write_chart
    from sat_env.export.integrity import verify_export

    if args.verify:
        problems = verify_export(args.dir)
        for p in problems:
            print(f"verify: {p}")
        if problems:
            print(f"verify: {len(problems)} problem(s) in {args.dir}: it is not what its manifest describes; "
                  "re-export it, or finish it with `sat export ... --resume` (which redoes failing shards)",
                  file=sys.stderr)
            return 1
        print(f"verify: every file of {args.dir} matches its manifest (size and sha256)")

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

    bar = None if args.no_progress else ProgressBar(args.n)
    try:
        r = call_with_args(build_gallery, args, progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    print(f"wrote {args.out}: {r['records']} QAs from the {r['format']} format, {len(r['families'])} families, "
          f"{r['bytes'] / 2**20:.1f} MiB (self-contained; open it in a browser)")
    return 0


def finetune_config(args):
    """The SFTConfig of parsed `sat finetune` arguments (the shortcuts --lora/--full, --bf16/--fp16 applied)."""
    from finetune.sft import SFTConfig

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


def cmd_grpo(args) -> int:
    from finetune import quiet_hf

    quiet_hf()
    from finetune.grpo import grpo

    s = call_with_args(grpo, args)
    last = s["last"] or {}
    print(f"saved the {'LoRA adapter' if s['method'] == 'lora' else 'model'} to {args.out} after {s['steps']} steps "
          f"(last reward {last.get('reward', float('nan')):.3f}); metrics in {Path(args.out) / 'metrics.jsonl'}")
    return 0


def cmd_evaluate(args) -> int:
    from finetune import quiet_hf

    quiet_hf()
    from finetune.evaluate import evaluate_model, print_table

    print_table(call_with_args(evaluate_model, args, progress=not args.no_progress))
    print(f"wrote {args.out}/results.csv, results.png, predictions.jsonl and summary.json")
    return 0


def cmd_info(args) -> int:
    import sat_env
    from sat_env.render import gl_info

    print(f"sat-env {sat_env.__version__}")
    for k, v in gl_info().items():
        print(f"{k}: {v}")
    return 0


# --- the parser: one (help, description, options) entry per command; a command's options are built only when it runs
# (or for a full parser), so `sat scene` does not import the trainers
def _opts_scene(s):
    from sat_env.snapshot import write_scene

    add_function_arguments(s, write_scene, skip=("warn",), types={"size": _size})


def _opts_render(r):
    from sat_env.snapshot import render_view

    add_function_arguments(r, render_view, types={"size": _size, "pose": _pose})


def _opts_demo(d):
    d.add_argument("--out", default="demo_out", help="output directory (default demo_out)")
    d.add_argument("--seed", type=int, default=0, help="house and export seed (default 0)")
    d.add_argument("--num-qa", type=int, default=300, help="QAs in the demo export (default 300)")


def _opts_ask(a):
    from sat_env.tasks.questions import ask

    add_function_arguments(a, ask, types={"size": _size})
    a.add_argument("--out", required=True, help="output directory")


def _opts_audit(au):
    from sat_env.tasks.audit import run_audit

    add_function_arguments(au, run_audit, skip=("progress",), aliases={"check_rules": ("--rules",)})
    au.add_argument("--out", default="audit_out", help="output directory (default: audit_out)")


ENV_KWARG = dict(action="append", metavar="KEY=VALUE", help="env constructor argument (JSON value; repeatable)")


def _opts_train_ppo(t):
    from agents.ppo import train_ppo

    add_function_arguments(t, train_ppo, skip=("env_kwargs", "progress_bar"),
                           aliases={"env_id": ("--env",), "wandb_mode": ("--wandb",)})
    t.add_argument("--env-kwarg", **ENV_KWARG)
    t.add_argument("--no-progress", action="store_true", help="no progress bar")


def _opts_evaluate_agent(e):
    from agents.evaluate import evaluate

    add_function_arguments(e, evaluate, skip=("env_kwargs", "progress"),
                           aliases={"agent_spec": ("--agent",), "env_id": ("--env",), "video_dir": ("--video",)},
                           help_extra={"out": "(the command's default: eval_out/ENV_AGENT)"})
    e.add_argument("--env-kwarg", **ENV_KWARG)


def _opts_export(x):
    from sat_env.export import ExportConfig
    from sat_env.export.formats import DEFAULT_FORMATS, FORMATS

    # ExportConfig's fields with their docstrings as help (sat_env/configargs.py); --mix and --format parse text
    add_config_arguments(x, ExportConfig, skip=("mix", "formats"))
    x.add_argument("--mix", help="sat (SAT's static/dynamic proportions, default), static, dynamic, nav (the model "
                   "policy's nav_visible / nav_direction / nav_stop questions), or a JSON object of family weights. "
                   "Weights are how often a family is drawn, not its share of the output: a family whose questions "
                   "the houses allow less often ends up below its weight (2:1 can come out 62:38); the manifest "
                   "counts what was made")
    x.add_argument("--format", default=",".join(DEFAULT_FORMATS),
                   help=f"comma list of {', '.join(FORMATS)}: sat (SAT's parquet schema), llava (LLaVA-NeXT / "
                   "OneVision: a list of images for two-image questions), messages (TRL's vision layout), llava15 "
                   f"(LLaVA-1.5: one-image questions only) (default: {','.join(DEFAULT_FORMATS)})")
    x.add_argument("--workers", type=int, default=1, help="local worker processes, each with its own GL context")
    x.add_argument("--engine", default="local", choices=["local", "ray"], help="local processes or Ray tasks")
    x.add_argument("--resume", action="store_true", help="finish an interrupted export of the same config")
    x.add_argument("--no-progress", action="store_true", help="no progress bar")


def _opts_stats(st):
    st.add_argument("dir", help="export folder")
    st.add_argument("--chart", help="chart PNG path (default DIR/stats.png)")
    st.add_argument("--verify", action="store_true", help="first check every file against the manifest (size and "
                    "sha256), e.g. after copying the export to another machine; exit 1 if any differs")


def _opts_browse(b):
    from finetune.browse import build_gallery

    add_function_arguments(b, build_gallery, skip=("progress",), positional=("root",), aliases={"fmt": ("--format",)})
    b.add_argument("--no-progress", action="store_true", help="no progress bar")


def _opts_finetune(ft):
    from finetune.sft import SFTConfig

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


def _opts_grpo(g):
    from finetune.grpo import grpo

    add_function_arguments(g, grpo)


def _opts_evaluate(ev):
    from finetune.evaluate import evaluate_model

    add_function_arguments(ev, evaluate_model, skip=("progress",), aliases={"style": ("--prompt",)})
    ev.add_argument("--no-progress", action="store_true", help="no progress output")


def _opts_info(i):
    pass


COMMANDS = {
    "scene": (cmd_scene, _opts_scene, "generate an apartment; write house.json, a floor plan and rendered views",
              "Generate an apartment from a seed (or read one from a ProcTHOR-10K file) and write house.json, "
              "topdown.png (floor plan with rooms, labelled objects and the first view's cone), and rgb/depth/ids "
              "PNGs of views from sampled reachable poses. Depth PNGs are uint16 millimetres."),
    "render": (cmd_render, _opts_render, "render one view of a house file",
               "Render the view from a pose in a house JSON file."),
    "demo": (cmd_demo, _opts_demo, "the main job on the embedded default (what `make demo` runs)", None),
    "ask": (cmd_ask, _opts_ask, "sample one spatial question in a generated apartment and write its images",
            "Sample a question (of one family, or any) from good views of house SEED; write the image(s) it refers "
            "to (marked.png, before.png/after.png, ...) and qa.json, and print it."),
    "audit": (cmd_audit, _opts_audit,
              "sample many QAs: success rates, answer balance, blind baselines, picture rules",
              "Sample about N QAs per family from the question stream (the loop exports use) and report per family: "
              "count, sampling success rate (balanced: label drawn first), the share of views with a valid "
              "instance for some label, answer-label balance, correct-position balance, the accuracy of two blind "
              "baselines on the multiple-choice QAs (trained on half, tested on the other half) next to chance: a "
              "bag-of-words model of question and choices, and a model of the named objects' categories in order, "
              "the wording template and the choices; and the share of QAs breaking each picture rule (objects cut "
              "off, too small, hidden by marks; ambiguous counts; picture against the 3D answer; perspective's X "
              "off the floor; blocked views), measured from the rendered ids and depth independently of the "
              "samplers. Writes audit.csv and audit.png."),
    "train-ppo": (cmd_train_ppo, _opts_train_ppo, "train a stable-baselines3 PPO agent on an environment",
                  "Train PPO (multi-input CNN policy on SB3ObsWrapper observations) with checkpoints, TensorBoard "
                  "logs, episode metrics (metrics.jsonl) and wandb logging (offline by default)."),
    "evaluate-agent": (cmd_evaluate_agent, _opts_evaluate_agent,
                       "evaluate random / oracle / PPO / model-policy agents on an environment",
                       "Run episodes and report accuracy per family (QA envs) or success, SPL, episode length and "
                       "distance to goal (ObjectNav); write summary.csv, episodes.json, trajectory PNGs and, with "
                       "--video, episode GIFs."),
    "export": (cmd_export, _opts_export, "export a QA dataset (SAT parquet, LLaVA JSON, chat messages JSONL)",
               "Sample QAs from generated apartments and write them in resumable shards with a manifest (config, "
               "seeds, code version, counts, sha256 per shard). Splits are disjoint by house. An interrupted export "
               "(even by SIGKILL) finishes with --resume, identical to an uninterrupted run. Needs pyarrow for the "
               "sat format: pip install -e \".[export]\"."),
    "stats": (cmd_stats, _opts_stats, "counts per family and split, label balance and image sizes of an export",
              "Summarise a `sat export` folder and write a bar chart (stats.png) and stats.json."),
    "browse": (cmd_browse, _opts_browse, "a self-contained HTML gallery of an export",
               "Write one HTML file (thumbnails embedded, no network needed) showing a sample of an export: frames "
               "with their roles, question, choices with the correct one in green, family and SAT type; hovering a "
               "card shows its ground truth (numbers, objects, label, house); buttons filter by family. The sample "
               "is spread evenly over families."),
    "finetune": (cmd_finetune, _opts_finetune,
                 "fine-tune a local vision-language model on an export (LoRA or full)",
                 "Supervised fine-tuning of a local Hugging Face image-text-to-text checkpoint (LLaVA, LLaVA-NeXT, "
                 "Qwen2-VL/2.5-VL, Idefics3/SmolVLM, PaliGemma, ...) on a `sat export`: SAT's prompt in the "
                 "processor's chat template, loss on the answer tokens only, cosine schedule, checkpoints every "
                 "--save-every steps (--resume continues), metrics.jsonl and wandb (offline by default). SAT's "
                 "recipe for LLaVA is the LoRA default: r 128, alpha 256 on the language model's q_proj/v_proj, 60/40 "
                 "with instruct data (--mix-instruct). --model tiny builds a tiny LLaVA offline (tokenizer trained "
                 "on the data) and trains it fully: LoRA on a random init does not learn. --model small builds "
                 "SAT-Small (finetune/small.py), a from-scratch model that picks among the options and learns "
                 "spatial questions on a CPU. --data env:MIX streams fresh QAs from the QA envs instead of reading "
                 "an export (seeded, resumable, no house seen twice). Needs pip install -e \".[train]\"."),
    "grpo": (cmd_grpo, _opts_grpo, "reinforcement learning of a local VLM on the QA envs (TRL's GRPOTrainer)",
             "GRPO on questions streamed from the QA envs (fresh houses; env:MIX), each group of sampled answers "
             "rewarded by the envs' own verification (the correct option, or MRA for free-form numbers; optionally "
             "a format reward), LoRA (SAT's recipe) or full weights on a local image-text-to-text checkpoint, "
             "checkpoints and --resume, metrics.jsonl and wandb (offline by default). Needs pip install -e "
             "\".[train,trl]\"."),
    "evaluate": (cmd_evaluate, _opts_evaluate, "accuracy of a model on an export or a spatial benchmark",
                 "Greedy answers of a local model (plus --adapter) scored per family / task: multiple choice by "
                 "exact match on option text or letter (--circular: every rotation of the choices must be right), "
                 "numeric answers by mean relative accuracy (VSI-Bench) and the within-[0.5x, 2x] rate "
                 "(SpatialVLM). Benchmarks are read from local copies in their public formats: sat (array/SAT, "
                 "nested image bytes), sat-v2, cvbench, blink, vsr, vsi. Writes results.csv, results.png, "
                 "predictions.jsonl, summary.json."),
    "info": (cmd_info, _opts_info, "print version and the OpenGL renderer in use", None),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `sat` parser: every command's options, or only those of `command` (what `main` builds: a command imports
    only the library it calls)."""
    p = argparse.ArgumentParser(
        prog="sat",
        description="SAT-Env: procedural apartments, headless rendering and spatial questions for training "
        "vision-language models. Run `sat COMMAND --help` for each command.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, (func, options, help_text, description) in COMMANDS.items():
        c = sub.add_parser(name, help=help_text, description=description or help_text[0].upper() + help_text[1:])
        if command is None or command == name:
            options(c)
        c.set_defaults(func=func)
    return p


RESUME_HINT = {
    "export": "; the finished shards are kept: run the same command with --resume to finish",
    "finetune": "; the last checkpoint is kept: run the same command with --resume to continue",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(next((a for a in argv if a in COMMANDS), None) or "")
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SatEnvError as e:
        print(f"sat {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nsat {args.command}: interrupted{RESUME_HINT.get(args.command, '')}", file=sys.stderr)
        return 130
    except OSError as e:  # a full disk, a folder that cannot be written, an unreadable file: one line, not a traceback
        where = f" ({e.filename})" if e.filename else ""
        print(f"sat {args.command}: error: {e.strerror or e}{where}{RESUME_HINT.get(args.command, '')}",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
