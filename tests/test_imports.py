"""Import structure: the scene, render and qa layers load without Gymnasium; `import sat_env` registers every env id
whichever of sat_env and gymnasium is imported first, without importing an env module until one is made."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.parametrize("module", ["sat_env.scene.navgrid", "sat_env.render.renderer", "qa.sampler", "qa.mixes",
                                    "sat_env.backends.embedded"])
def test_lower_layers_import_without_gymnasium(module):
    # qa.mixes first used to fail with a circular ImportError (sat_env -> envs -> registry -> qa.mixes)
    assert run(f"import sys, {module}; print(sorted(m for m in ('gymnasium', 'sat_env.envs') if m in sys.modules))") \
        == "[]"


@pytest.mark.parametrize("order", ["import sat_env\nimport gymnasium as gym",
                                   "import gymnasium as gym\nimport sat_env"])
def test_import_sat_env_registers_in_either_order(order):
    code = (f"{order}\nimport sys\nfrom sat_env.envs.registry import ENV_IDS\n"
            "assert ENV_IDS and all(i in gym.registry for i in ENV_IDS), 'ids missing'\n"
            "print('sat_env.envs.qa_env' in sys.modules, 'sat_env.envs.objectnav' in sys.modules)\n"
            "env = gym.make('SAT-LeftRight-v0', size=32)\n"
            "print(type(env.unwrapped).__name__)")
    assert run(code).splitlines() == ["False False", "SATQAEnv"]


def test_module_prefixed_id_needs_no_import():
    assert run("import gymnasium as gym\nprint(type(gym.make('sat_env:SAT-ObjectNav-Easy-v0').unwrapped).__name__)") \
        == "ObjectNavEnv"


def test_a_lookup_of_gymnasium_does_not_use_up_the_registration():
    code = ("import importlib.util\nimport sat_env\nassert importlib.util.find_spec('gymnasium') is not None\n"
            "import gymnasium as gym\nprint('SAT-Dynamic-v0' in gym.registry)")
    assert run(code) == "True"


def test_every_module_imports_first():
    # a circular import shows only when its module is the first one imported: try each in a fresh interpreter
    import importlib
    import pkgutil
    from concurrent.futures import ThreadPoolExecutor

    mods = []
    for pkg in ("sat_env", "qa", "finetune", "agents"):
        mods += [pkg] + [m.name for m in pkgutil.walk_packages(importlib.import_module(pkg).__path__, pkg + ".")
                         if not m.name.endswith("__main__")]

    def first(m):
        r = subprocess.run([sys.executable, "-c", f"import {m}"], capture_output=True, text=True, timeout=120)
        return m, (r.stderr.strip().splitlines() or [""])[-1] if r.returncode else None

    with ThreadPoolExecutor(2) as ex:
        failed = {m: err for m, err in ex.map(first, mods) if err is not None}
    assert len(mods) > 80 and not failed, failed


def test_every_family_has_its_env_id():
    code = ("import gymnasium as gym, sat_env\nfrom qa.sampler import load_families\n"
            "from sat_env.envs.registry import _camel\n"
            "missing = [f for f in load_families() if f'SAT-{_camel(f)}-v0' not in gym.registry]\n"
            "print(missing, 'SAT-Nav-v0' in gym.registry)")
    assert run(code) == "[] True"
