"""Pictures of one house for people to look at (``sat scene``, ``sat render``): the house file, its floor plan and
rendered views with depth and instance ids, from a generated or a ProcTHOR house."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from sat_env.backends.base import AgentPose
from sat_env.backends.embedded import EmbeddedBackend
from sat_env.backends.views import sample_views
from sat_env.errors import ConfigError
from sat_env.files import ensure_dir
from sat_env.scene import generate_house, load_house, save_house
from sat_env.scene.config import HouseConfig
from sat_env.scene.navgrid import points_in_polygon
from sat_env.scene.procthor import load_procthor
from sat_env.scene.validate import geometry_problems
from sat_env.viz import depth_image, depth_preview, ids_image, topdown

Size = tuple[int, int]


def house_config(config: str | None = None, rooms: int | None = None) -> HouseConfig:
    """A HouseConfig from a JSON/YAML file of overrides and/or an exact number of rooms."""
    over = {"min_rooms": rooms, "max_rooms": rooms} if rooms else {}
    if config:
        return HouseConfig.from_dict({**HouseConfig.from_file(config).to_dict(), **over})
    return HouseConfig.from_dict(over)


def write_scene(out: str, seed: int = 0, procthor: str | None = None, index: int | None = None,
                size: Size = (512, 512), fov: float = 90.0, views: int = 3,
                rooms: Literal[1, 2, 3, 4, 5, 6, 7, 8] | None = None, config: str | None = None,
                warn=None) -> dict:
    """Generate an apartment (or read one from a ProcTHOR-10K file) and write house.json, topdown.png (floor plan
    with rooms, labelled objects and the first view's cone), and rgb/depth/ids PNGs of views from sampled reachable
    poses, with views.json. Depth PNGs are uint16 millimetres. Returns a summary: label, rooms, objects, solids,
    views, and for a ProcTHOR house the geometry problems found.

    Args:
        out: output directory.
        seed: house seed.
        procthor: read the house from a local ProcTHOR-10K file (gzipped JSON Lines, e.g. train.jsonl.gz) instead of
            generating one.
        index: with `procthor`: which house (0-based line; default 0).
        size: image size, N or WxH pixels.
        fov: vertical field of view in degrees.
        views: number of egocentric views.
        rooms: exact number of rooms.
        config: JSON/YAML file of HouseConfig overrides.
        warn: ``warn(message)`` for each unknown asset of a foreign house (default: ignored).
    """
    if procthor is None:
        if index is not None:
            raise ConfigError("--index selects a house of a ProcTHOR file: give it with --procthor FILE.jsonl.gz")
        house, label, view_seed = generate_house(seed, house_config(config, rooms)), f"house seed {seed}", seed
    else:
        if rooms or config:
            raise ConfigError("--rooms and --config shape generated houses; they do not apply to --procthor houses")
        index = 0 if index is None else index
        house, label, view_seed = load_procthor(procthor, index), f"ProcTHOR house {index} of {procthor}", index
    out = ensure_dir(out)
    w, h = size
    backend = EmbeddedBackend(width=w, height=h, fov=fov)
    try:
        with warnings.catch_warnings(record=True) as caught:  # unknown assets: one line each
            warnings.simplefilter("always")
            backend.load(house)
        for wrn in caught:
            if warn:
                warn(str(wrn.message))
        poses = sample_views(backend, np.random.default_rng(np.random.SeedSequence([view_seed, 1])), views)
        rendered = [(p, backend.view(p)) for p in poses]
        scene = backend.scene
        first = poses[0] if poses else backend.pose
        hfov = rendered[0][1].camera.hfov if rendered else fov
        save_house(house, out / "house.json")
        topdown(scene, agent=(first.x, first.z, first.yaw), fov=hfov).save(out / "topdown.png")
        meta = []
        for k, (p, v) in enumerate(rendered):
            stem = "" if k == 0 else f"_{k}"
            Image.fromarray(v.rgb).save(out / f"rgb{stem}.png")
            depth_image(v.depth).save(out / f"depth{stem}.png")
            depth_preview(v.depth).save(out / f"depth_preview{stem}.png")
            ids_image(v.ids).save(out / f"ids{stem}.png")
            visible = sorted(o["objectId"] for o in v.objects if o["pixelCount"] > 0)
            meta.append({"view": k, "pose": {"x": p.x, "z": p.z, "yaw": p.yaw, "pitch": p.horizon},
                         "files": [f"rgb{stem}.png", f"depth{stem}.png", f"ids{stem}.png"],
                         "objects_in_view": visible})
        (out / "views.json").write_text(json.dumps({"size": [w, h], "fov": fov,
                                                     "depth_png": "uint16 millimetres, 0 = no surface",
                                                     "views": meta}, indent=2) + "\n")
        # generated houses are valid by construction; report what a foreign one lacks
        problems = geometry_problems(scene) if procthor is not None else None
        return {"label": label, "rooms": [r.room_type for r in scene.rooms], "objects": len(scene.objects),
                "solids": len(scene.solids), "views": len(rendered), "problems": problems}
    finally:
        backend.close()


def check_pose(scene, x: float, z: float) -> None:
    """Refuse a camera position outside every room or inside a wall (its picture would be black)."""
    pt = np.array([[x, z]])
    if not any(points_in_polygon(pt, r.polygon)[0] for r in scene.rooms):
        allp = np.concatenate([r.polygon for r in scene.rooms])
        (x0, z0), (x1, z1) = allp.min(axis=0), allp.max(axis=0)
        raise ConfigError(f"pose x={x:g}, z={z:g} is outside the house (its rooms span x {x0:.2f}..{x1:.2f}, "
                          f"z {z0:.2f}..{z1:.2f} m): pick a point inside a room, e.g. from views.json of `sat scene`")
    for wx0, wz0, wx1, wz1, *_ in scene.structure_obstacles:
        if wx0 < x < wx1 and wz0 < z < wz1:
            raise ConfigError(f"pose x={x:g}, z={z:g} is inside a wall: move it into the room")


def render_view(house: str, pose: tuple[float, float, float, float], out: str, size: Size = (512, 512),
                fov: float = 90.0, depth: str | None = None, ids: str | None = None) -> None:
    """Render the view from a pose in a house JSON file.

    Args:
        house: house JSON file (from `sat scene` or ProcTHOR format).
        pose: x,z,yaw[,pitch]: metres and degrees (pitch + = down).
        out: output PNG for the RGB image.
        size: image size, N or WxH pixels.
        fov: vertical field of view in degrees.
        depth: also write depth here (uint16 PNG, millimetres).
        ids: also write colour-coded instance ids here.
    """
    x, z, yaw, pitch = pose
    w, h = size
    if Path(out).is_dir():
        raise ConfigError(f"--out {out} is a folder: pass the PNG file to write")
    backend = EmbeddedBackend(width=w, height=h, fov=fov)
    try:
        backend.load(load_house(house))
        check_pose(backend.scene, x, z)
        v = backend.view(AgentPose(x, z, yaw, pitch))
    finally:
        backend.close()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(v.rgb).save(out)
    if depth:
        depth_image(v.depth).save(depth)
    if ids:
        ids_image(v.ids).save(ids)
