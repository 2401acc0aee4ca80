"""Shared helpers of the question-engine tests (pytest puts this folder on sys.path)."""

from __future__ import annotations

from sat_env.backends.embedded import EmbeddedBackend
from sat_env.scene.handmade import simple_house


def one_room_backend(objects, size: int = 224) -> EmbeddedBackend:
    """A 6 x 6 m living room with `objects` [(asset id, x, z, yaw)], the agent at (3, 1) facing +z, level."""
    b = EmbeddedBackend(width=size, height=size)
    b.load(simple_house([("LivingRoom", 0, 0, 6, 6)], objects=objects, agent=(3.0, 1.0, 0.0)))
    assert b.teleport(3.0, 1.0, 0.0, 0.0).success
    return b
