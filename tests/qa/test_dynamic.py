"""Dynamic question families: golden answers worked out by hand on hand-built houses.

Conventions (docs/QA_SPEC.md rule 2): yaw 0 faces +z, yaw 90 faces +x; lateral = dx cos t - dz sin t (positive = right),
forward = dx sin t + dz cos t. The camera stands at (3, 1) facing +z in a 6 x 6 m room unless said otherwise.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from qa.core import FAMILIES, bearing
from qa.sampler import load_families, sample_qa
from sat_env.backends.embedded import EmbeddedBackend
from sat_env.scene.catalog import load_catalog
from sat_env.scene.handmade import simple_house

load_families()
CAT = load_catalog()
W = 128
DYNAMIC = ("ego_movement", "camera_translation", "object_movement", "action_consequence", "goal_aiming",
           "perspective")


def asset(t):
    return CAT.assets_of_type(t)[0].asset_id


def polar(b_deg, d, cam=(3.0, 1.0)):
    """Floor point at bearing b_deg (right positive) and distance d from a camera facing +z."""
    t = math.radians(b_deg)
    return cam[0] + d * math.sin(t), cam[1] + d * math.cos(t)


# Three objects, each alone in its label: a dresser at bearing -20 deg (left), an armchair at +30 deg (right),
# a fridge straight ahead (bearing 0) 3 m away. (Large enough to carry a dot without being hidden by it at 128 px:
# a chair or a garbage can 3 m away is not, qa.visibility.MAX_MARK_COVER.)
DRESSER = polar(-20, 2.2)
ARMCHAIR = polar(30, 3.2)
CHAIR = (3.0, 4.0)  # the fridge's place (named for the hand-worked action_consequence distances)
LONE_CHAIR = (3.0, 3.4)  # the perspective house: a single armchair 2.4 m straight ahead


def make(objects, agent=(3.0, 1.0, 0.0), size=W, room=(0, 0, 6, 6)):
    b = EmbeddedBackend(width=size, height=size)
    b.load(simple_house([("LivingRoom", *room)], objects=objects, agent=agent))
    return b


@pytest.fixture(scope="module")
def sim():
    b = make([(asset("Dresser"), *DRESSER, 0.0), (asset("ArmChair"), *ARMCHAIR, 0.0), (asset("Fridge"), *CHAIR, 0.0)])
    yield b
    b.close()


@pytest.fixture(scope="module")
def lone_chair():
    # 224 px: at 128 px the X mark (6 px at least, to stay visible) must clear so much of the image around it that
    # few floor points of this small room qualify.
    # A room 10 m wide (x from -2 to 8): floor far enough to the sides for an X from which the armchair is further.
    b = make([(asset("ArmChair"), *LONE_CHAIR, 0.0)], size=224, room=(-2, 0, 8, 6))
    yield b
    b.close()


def centres(b):
    return {k: r.center.copy() for k, r in b.scene.objects.items()}


def draw(family, b, label, seeds=range(8)):
    """QAs of `family` with target `label`, checking the invariants every QA must keep."""
    fam = FAMILIES[family]
    out = []
    for s in seeds:
        pose, cent = b.pose, centres(b)
        qa = sample_qa(family, b, np.random.default_rng(s), target_label=label)
        assert b.pose == pose, "agent pose not restored"
        after = centres(b)
        assert all(np.allclose(after[k], v) for k, v in cent.items()), "an object was left displaced"
        if qa is None:
            continue
        assert qa.label == label
        assert fam.recompute(qa.truth) == label
        assert qa.family == family and qa.sat_type == fam.sat_type
        assert 0 <= qa.correct < len(qa.choices) and len(set(qa.choices)) == len(qa.choices)
        assert all(r in qa.frames for r in qa.images)
        for img in qa.frames.values():
            assert img.shape == (b.height, b.width, 3) and img.dtype == np.uint8
        out.append(qa)
    assert out, f"{family}: no QA for label {label!r}"
    return out


def test_registered():
    for f in DYNAMIC:
        assert FAMILIES[f].dynamic and FAMILIES[f].recompute is not None and FAMILIES[f].labels


# --- ego_movement ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["rotated left", "rotated right", "did not move"])
def test_ego_movement(sim, label):
    for qa in draw("ego_movement", sim, label):
        assert qa.images == ["before", "after"]
        t = qa.truth
        x0, z0, y0 = t["before"]
        x1, z1, y1 = t["after"]
        assert qa.answer.startswith(label)
        assert qa.answer.endswith("moved forward") == t["moved_forward"]
        if label == "did not move":
            assert t["actions"] == [] and (x1, z1, y1) == (x0, z0, y0)
            assert np.array_equal(qa.frames["before"], qa.frames["after"])
            continue
        rot = t["actions"][0]
        assert rot["degrees"] in (20, 30, 40, 50)
        turn = rot["degrees"] if label == "rotated right" else -rot["degrees"]
        assert (y1 - y0 - turn) % 360 == pytest.approx(0)
        # The dresser is at bearing -20 before; a right turn by 30 puts it at -50 (from the same spot).
        if not t["moved_forward"]:
            assert bearing((*DRESSER,), (x1, z1), y1) == pytest.approx(-20 - turn)
        else:
            m = t["actions"][1]["magnitude"]
            assert (x1 - x0, z1 - z0) == pytest.approx((m * math.sin(math.radians(y1)), m * math.cos(math.radians(y1))))


def test_ego_failed_move_is_not_moved_forward():
    # Facing the far wall 0.3 m away: any MoveAhead after a 20-50 deg turn hits it.
    b = make([(asset("Chair"), *CHAIR, 0.0)], agent=(2.0, 5.7, 0.0))
    try:
        seen = 0
        for s in range(16):
            qa = sample_qa("ego_movement", b, np.random.default_rng(s), target_label="rotated left")
            moves = [a for a in qa.truth["actions"] if a["action"] == "MoveAhead"]
            if moves:
                seen += 1
                assert not moves[0]["success"] and not qa.truth["moved_forward"]
                assert qa.answer == "rotated left"
                assert qa.truth["after"][:2] == pytest.approx([2.0, 5.7])
        assert seen
    finally:
        b.close()


# --- camera_translation -------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["left", "right"])
def test_camera_translation(sim, label):
    for qa in draw("camera_translation", sim, label):
        t = qa.truth
        a1, m, a2 = t["actions"][0]["degrees"], t["actions"][1]["magnitude"], t["actions"][2]["degrees"]
        assert t["actions"][0]["action"] == ("RotateRight" if label == "right" else "RotateLeft")
        # Start yaw 0: turning right by a1 and moving m displaces the camera by m sin(a1) along +x (its right).
        side = 1 if label == "right" else -1
        assert t["lateral"] == pytest.approx(side * m * math.sin(math.radians(a1)))
        assert t["after"][:2] == pytest.approx([3.0 + side * m * math.sin(math.radians(a1)),
                                                1.0 + m * math.cos(math.radians(a1))])
        # It ends turned 25-45 deg toward the side opposite the movement.
        assert (t["after"][2] - side * (a1 - a2)) % 360 == pytest.approx(0)
        assert qa.answer in (label, f"moved {label}")


# --- object_movement -----------------------------------------------------------------------------------------


def test_object_movement_label_by_hand():
    # Camera yaw 0: +x is the camera's right. +0.5 m along x moved right; a move toward the camera is "towards".
    t = {"moved": {"lateral_old": 0.0, "lateral_new": 0.5, "distance_old": 3.0, "distance_new": 2.8}}
    assert FAMILIES["object_movement"].recompute(t) == "right, towards"
    t["moved"]["distance_new"] = 3.2
    assert FAMILIES["object_movement"].recompute(t) == "right, away"
    assert FAMILIES["object_movement"].recompute({"moved": None}) == "none"


@pytest.mark.parametrize("label", ["left, towards", "left, away", "right, towards", "right, away", "none"])
def test_object_movement(sim, label):
    cam = np.array([3.0, 1.0])
    for qa in draw("object_movement", sim, label, seeds=range(6)):
        m = qa.truth["moved"]
        if "named" in qa.truth:  # the direction form offers all four moves and "none": each right 1 time in 5
            moves = sorted(c.split(" was moved ")[1] for c in qa.choices if " was moved " in c)
            assert len(qa.choices) == 5 and "no objects moved" in qa.choices
            assert moves == sorted(f"{lr} and {ta} the camera" for lr in ("left", "right")
                                   for ta in ("towards", "away from"))
        assert qa.images[1] == "after" and qa.images[0] in ("before", "before_marked")
        assert "before" in qa.frames and "after" in qa.frames
        if label == "none":
            assert m is None and np.array_equal(qa.frames["before"], qa.frames["after"])
            assert qa.answer in ("no objects moved", "none of them")
            continue
        old, new = np.array(m["old"]), np.array(m["new"])
        d = new - old
        # Displacements are SAT's +-0.25 / 0.5 m per axis; yaw 0 so lateral = dx.
        assert all(abs(v) in (0.0, 0.25, 0.5) for v in np.round(d[[0, 2]], 6)) and d[1] == pytest.approx(0, abs=1e-4)
        side, way = label.split(", ")
        assert (d[0] > 0) == (side == "right")
        towards = np.linalg.norm(new[[0, 2]] - cam) < np.linalg.norm(old[[0, 2]] - cam)
        assert (m["distance_new"] < m["distance_old"]) == towards == (way == "towards")
        assert not np.array_equal(qa.frames["before"], qa.frames["after"])
        if "was moved" in qa.answer:
            assert f"moved {side} and {'towards' if towards else 'away from'} the camera" in qa.answer


def test_object_movement_rotated_camera():
    # Camera at (1, 3) facing +x (yaw 90): its right is -z. A chair moved toward +z moved LEFT.
    b = make([(asset("ArmChair"), 3.3, 3.0, 0.0)], agent=(1.0, 3.0, 90.0))
    try:
        got = 0
        for label in ("left, towards", "left, away", "right, towards", "right, away"):
            for s in range(4):
                qa = sample_qa("object_movement", b, np.random.default_rng(s), target_label=label)
                if qa is None:
                    continue
                got += 1
                dz = qa.truth["moved"]["new"][2] - qa.truth["moved"]["old"][2]
                assert (dz > 0) == label.startswith("left")
        assert got
    finally:
        b.close()


# --- action_consequence -------------------------------------------------------------------------------------


def test_action_consequence_by_hand():
    from qa.dynamic import _hypo_pose

    # Turn left 60 and move 1 m from (3, 1) facing +z: end at (3 - sin 60, 1 + cos 60) = (2.134, 1.5), yaw 300.
    x, z, y = _hypo_pose((3.0, 1.0), 0.0, -60.0, 1.0)
    assert (x, z, y) == pytest.approx((3 - math.sqrt(3) / 2, 1.5, 300.0))
    # The fridge at (3, 4) was 3 m away; now sqrt(0.75 + 6.25) = 2.646 m: closer by 0.35 m > 0.2 m.
    d = math.hypot(CHAIR[0] - x, CHAIR[1] - z)
    assert d == pytest.approx(math.sqrt(7.0)) and 3.0 - d > 0.2


@pytest.mark.parametrize("label", ["closer", "further"])
def test_action_consequence(sim, label):
    for qa in draw("action_consequence", sim, label):
        t = qa.truth
        assert qa.images == ["marked"] and "view" in qa.frames
        x0, z0, y0 = t["camera"]
        turn, m = t["action"]["turn"], t["action"]["move"]
        yy = math.radians(y0 + turn)
        x1, z1 = x0 + m * math.sin(yy), z0 + m * math.cos(yy)
        assert t["pose_after"][:2] == pytest.approx([x1, z1])
        c = t["center"]
        d0, d1 = math.hypot(c[0] - x0, c[2] - z0), math.hypot(c[0] - x1, c[2] - z1)
        assert (t["distance_before"], t["distance_after"]) == pytest.approx((d0, d1))
        assert abs(d1 - d0) > 0.2 and (d1 < d0) == (label == "closer")
        direction = "left" if turn < 0 else "right"
        assert f"turn {direction} by {abs(int(turn))} degrees" in qa.question
        if qa.choices in (["yes", "no"], ["no", "yes"]):
            assert qa.answer == ("yes" if t["asked"] == label else "no")
        else:
            assert "(marked" in qa.answer and len(qa.choices) >= 2
        assert sim.pose.x == 3.0 and sim.pose.z == 1.0  # nothing executed


# --- goal_aiming ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label,obj,k", [("left", "Dresser|0", 20), ("right", "ArmChair|0", 30),
                                         ("straight", "Fridge|0", None)])
def test_goal_aiming(sim, label, obj, k):
    for qa in draw("goal_aiming", sim, label):
        assert qa.objects == [obj]
        expected = {"left": -20.0, "right": 30.0, "straight": 0.0}[label]
        assert qa.truth["bearing"] == pytest.approx(expected, abs=1e-3)  # house positions are rounded
        if qa.choices[0] in ("yes", "no"):
            turn = qa.truth["followup_turn"]
            # away: turning to the wrong side, or any turn from straight ahead
            assert qa.answer == ("yes" if label == "straight" or (turn > 0) != (label == "right") else "no")
        elif label == "straight":
            assert qa.answer == "look straight"
        else:
            assert qa.answer == f"{label} by {k} degrees"
            assert sorted(qa.choices) == sorted([f"left by {k} degrees", f"right by {k} degrees", "look straight"])


def test_goal_aiming_forms_say_nothing_about_the_answer(sim):
    # Every label is asked in the follow-up form equally often (else "look straight" would be the better guess in
    # the three-way form), and its yes / no answers are equal over the labels with either side named.
    followup, yes = {}, {"left": 0, "right": 0}
    for label in ("left", "right", "straight"):
        qs = [sample_qa("goal_aiming", sim, np.random.default_rng(s), target_label=label) for s in range(240)]
        fu = [q for q in qs if q.choices[0] in ("yes", "no")]
        followup[label] = len(fu) / len(qs)
        for q in fu:
            side = "right" if q.truth["followup_turn"] > 0 else "left"
            yes[side] += q.answer == "yes"
            yes[side + "_n"] = yes.get(side + "_n", 0) + 1
    assert all(abs(v - 0.25) < 0.07 for v in followup.values()), followup
    for side in ("left", "right"):
        assert abs(yes[side] / yes[side + "_n"] - 0.5) < 0.12, yes


def test_goal_aiming_straight_draws_k_like_turns(sim, monkeypatch):
    """'look straight' has no k of its own; the k its choices show is drawn with the turn answers' frequencies
    (the prior's turn_k), so that k says nothing about the answer."""
    import qa.balance
    from qa.dynamic import GOAL_K, goal_turn_k

    shares = goal_turn_k()  # the shipped prior: a distribution over GOAL_K
    assert set(shares) == set(GOAL_K) and sum(shares.values()) == pytest.approx(1.0)
    monkeypatch.setattr(qa.balance, "label_prior", lambda: {"goal_aiming": {"turn_k": {"30": 7, "40": 0}}})
    assert goal_turn_k() == {20: 0.0, 30: 1.0, 40: 0.0}
    for q in draw("goal_aiming", sim, "straight"):
        if q.choices[0] not in ("yes", "no"):
            assert q.truth["k"] == 30 and "left by 30 degrees" in q.choices
    monkeypatch.setattr(qa.balance, "label_prior", lambda: {})
    assert goal_turn_k() == {k: pytest.approx(1 / 3) for k in GOAL_K}


# --- perspective ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["left after turning left", "right after turning left", "left after turning right",
                                   "right after turning right", "closer", "further"])
def test_perspective(lone_chair, label):
    b = lone_chair
    cam = b.camera()
    view = b.view()
    for qa in draw("perspective", b, label, seeds=range(24)):
        t = qa.truth
        assert qa.images == ["marked"] and "view" in qa.frames
        assert not np.array_equal(qa.frames["marked"], qa.frames["view"])
        xx, xz = t["x_point"]
        # The X is a reachable grid point, projected into the image where the floor is seen (not occluded).
        assert any(np.allclose((xx, xz), p) for p in b.navgrid.positions())
        pix, depth = cam.project(np.array([xx, 0.0, xz]))
        assert (int(pix[0]), int(pix[1])) == tuple(t["x_pixel"])
        assert abs(view.depth[int(pix[1]), int(pix[0])] - depth) < 0.05
        if label not in ("closer", "further"):
            # The armchair is straight ahead of the original camera at z = 3.4. Turned right (facing +x) the observer's
            # right is -z: it is on the left iff it is farther along +z than X. Turned left (facing -x): the reverse.
            turned_right = t["turn"] > 0
            side = "right" if turned_right else "left"
            assert turned_right == label.endswith("right") and (f"turn {side}" in qa.question or f"to the {side}" in
                                                                 qa.question or f"degrees to the {side}" in qa.question)
            chair_beyond = LONE_CHAIR[1] > xz
            expect = ("left" if chair_beyond else "right") if turned_right else ("right" if chair_beyond else "left")
            assert label.split()[0] == expect
            assert qa.answer == expect and sorted(qa.choices) == ["left", "right"]
        else:
            d_now, d_x = math.hypot(LONE_CHAIR[0] - 3.0, LONE_CHAIR[1] - 1.0), math.hypot(LONE_CHAIR[0] - xx, LONE_CHAIR[1] - xz)
            assert abs(d_x - d_now) > 0.5 and (d_x < d_now) == (label == "closer")
            assert qa.answer == label  # explicit index, whichever position "closer" was shuffled to
