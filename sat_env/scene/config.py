"""Configuration of the procedural house generator."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sat_env.errors import ConfigError

ROOM_TYPES = ("Kitchen", "LivingRoom", "Bedroom", "Bathroom")

# Floor-area ranges in m^2 per room type. ProcTHOR's room specs give area *ratios*; these absolute ranges are typical
# apartment sizes (a bathroom of 3.5-7 m^2, a living room of 14-28 m^2) that keep ProcTHOR's ratios.
DEFAULT_AREAS = {
    "Kitchen": (7.0, 14.0),
    "LivingRoom": (14.0, 28.0),
    "Bedroom": (9.0, 16.0),
    "Bathroom": (3.5, 7.0),
}


@dataclass(frozen=True)
class HouseConfig:
    """Settings of :func:`sat_env.scene.generate_house`. Load overrides with :meth:`from_dict` / :meth:`from_file`."""

    min_rooms: int = 1
    """Fewest rooms a house may have (1-8)."""
    max_rooms: int = 8
    """Most rooms a house may have (1-8); the count is drawn uniformly between min_rooms and max_rooms."""
    room_types: tuple[str, ...] | None = None
    """Exact list of room types to build (overrides min/max_rooms), e.g. ("Kitchen", "LivingRoom")."""
    room_areas: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_AREAS))
    """Floor-area range (m^2) per room type."""
    wall_height: tuple[float, float] = (2.5, 2.8)
    """Range of the ceiling height in metres (one value per house)."""
    wall_thickness: float = 0.1
    """Thickness of every wall in metres."""
    door_width: float = 1.0
    """Width of doorways in metres (at least 0.9 so that the agent, radius 0.2 m, passes)."""
    door_height: float = 2.1
    """Height of doorways in metres."""
    furniture_density: float = 1.0
    """Multiplier on the number of optional furniture pieces per room (0 = only each room's core group)."""
    small_objects: float = 1.0
    """Multiplier on the number of small objects placed on tables, counters and shelves (0 = none)."""
    windows: bool = True
    """Put windows on exterior walls."""
    max_attempts: int = 30
    """Attempts at a valid floor plan before giving up with GenerationError."""

    def __post_init__(self) -> None:
        if not (1 <= self.min_rooms <= self.max_rooms <= 8):
            raise ConfigError(
                f"need 1 <= min_rooms <= max_rooms <= 8, got min_rooms={self.min_rooms}, max_rooms={self.max_rooms}"
            )
        if self.room_types is not None:
            bad = [t for t in self.room_types if t not in ROOM_TYPES]
            if bad or not (1 <= len(self.room_types) <= 8):
                raise ConfigError(
                    f"room_types must list 1-8 of {ROOM_TYPES}, got {list(self.room_types)}"
                )
        for t, (lo, hi) in self.room_areas.items():
            if t not in ROOM_TYPES or not (2.0 <= lo <= hi <= 200.0):
                raise ConfigError(f"room_areas[{t!r}] = ({lo}, {hi}) is not a valid range of m^2 for a known room type")
        lo, hi = self.wall_height
        if not (self.door_height + 0.2 <= lo <= hi <= 5.0):
            raise ConfigError(
                f"wall_height {self.wall_height} must lie in [door_height + 0.2, 5.0] = [{self.door_height + 0.2}, 5.0]"
            )
        if not (0.04 <= self.wall_thickness <= 0.4):
            raise ConfigError(f"wall_thickness must be in [0.04, 0.4] m, got {self.wall_thickness}")
        if not (0.9 <= self.door_width <= 2.0):
            raise ConfigError(f"door_width must be in [0.9, 2.0] m (the agent needs 0.9 m), got {self.door_width}")
        if not (1.9 <= self.door_height <= 3.0):
            raise ConfigError(f"door_height must be in [1.9, 3.0] m (the agent is 1.8 m tall), got {self.door_height}")
        if self.furniture_density < 0 or self.small_objects < 0:
            raise ConfigError("furniture_density and small_objects must be >= 0")
        if self.max_attempts < 1:
            raise ConfigError("max_attempts must be >= 1")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "HouseConfig":
        """Build a config from a dict of overrides; unknown keys are an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown HouseConfig key(s) {unknown}; valid keys: {sorted(known)}")
        kwargs = dict(data)
        for key in ("room_types", "wall_height"):
            if kwargs.get(key) is not None:
                kwargs[key] = tuple(kwargs[key])
        if "room_areas" in kwargs:
            kwargs["room_areas"] = {**DEFAULT_AREAS, **{k: tuple(v) for k, v in kwargs["room_areas"].items()}}
        try:
            return cls(**kwargs)
        except TypeError as e:  # wrong value types
            raise ConfigError(f"invalid HouseConfig: {e}") from e

    @classmethod
    def from_file(cls, path: str | Path) -> "HouseConfig":
        """Load overrides from a JSON or YAML file."""
        path = Path(path)
        text = path.read_text()
        if path.suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError as e:
                raise ConfigError("reading YAML configs needs PyYAML: pip install pyyaml (or use a .json file)") from e
            data = yaml.safe_load(text) or {}
        else:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as e:
                raise ConfigError(f"{path}: not valid JSON ({e})") from e
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected a mapping of HouseConfig keys")
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["room_areas"] = {k: list(v) for k, v in self.room_areas.items()}
        d["wall_height"] = list(self.wall_height)
        if self.room_types is not None:
            d["room_types"] = list(self.room_types)
        return d
