"""Finding AI2-THOR's Unity build and starting a Controller, with errors that say what is wrong and how to fix it.

AI2-THOR resolves its ~0.5-0.8 GB Unity build on first use: ``~/.ai2thor/releases/thor-<Platform>-<commit>`` if it is
there, else a download from S3. Offline, ai2thor swallows the network error and reports ``ValueError: Invalid
commit_id: ... no build exists`` (reference 1.4), which sends people looking for a wrong commit. :func:`find_build`
does the same lookup first, without starting anything: the local folder or executable, else one HTTP HEAD request
with a short timeout, and raises a :class:`~sat_env.errors.ConfigError` naming the fixes.
"""

from __future__ import annotations

import ctypes.util
import os
import platform as _platform
import re
from pathlib import Path

from sat_env.errors import ConfigError

ENV_EXECUTABLE = "SAT_THOR_EXECUTABLE"  # path of a local Unity executable (offline machines)
ENV_PLATFORM = "SAT_THOR_PLATFORM"  # "CloudRendering" | "Linux64" | "OSXIntel64"
PLATFORMS = ("CloudRendering", "Linux64", "OSXIntel64")
INSTALL_HINT = 'pip install -e ".[thor]"  (or: pip install ai2thor)'


def import_ai2thor():
    """The ai2thor package (controller, build and platform modules imported), or a ConfigError saying how to get it."""
    try:
        import ai2thor.build
        import ai2thor.controller
        import ai2thor.platform
    except ImportError as e:
        raise ConfigError(f'backend="thor" needs the ai2thor package, which is not installed ({e}): {INSTALL_HINT}; '
                          'or use backend="embedded", which needs no download') from e
    return ai2thor


def default_platform(system: str | None = None, display: str | None = None) -> str:
    """Platform to use when none is given: CloudRendering (Vulkan, no X server) on Linux without a DISPLAY,
    Linux64 (X11 + GLX) on Linux with one, OSXIntel64 on macOS."""
    system = system or _platform.system()
    if system == "Darwin":
        return "OSXIntel64"
    if system != "Linux":
        raise ConfigError(f"AI2-THOR has no build for {system}; use backend='embedded' (or WSL2 / Linux)")
    display = os.environ.get("DISPLAY") if display is None else display
    return "Linux64" if display else "CloudRendering"


def _platform_name(platform) -> str:
    name = platform if isinstance(platform, str) else getattr(platform, "__name__", str(platform))
    if name not in PLATFORMS:
        raise ConfigError(f"unknown AI2-THOR platform {name!r}; use one of {', '.join(PLATFORMS)}")
    return name


def check_platform(name: str, x_display: str | None = None) -> None:
    """Raise a ConfigError if the platform's system requirements are visibly missing (before Unity starts)."""
    if name == "CloudRendering" and ctypes.util.find_library("vulkan") is None:
        raise ConfigError("AI2-THOR platform=CloudRendering renders with Vulkan, and no Vulkan loader was found: "
                          "install it (Debian/Ubuntu: sudo apt-get install libvulkan1) with an NVIDIA driver that "
                          "provides Vulkan; or use platform='Linux64' with an X server (sudo ai2thor-xorg start); "
                          "or backend='embedded', which renders with OpenGL/EGL or on the CPU")
    if name == "Linux64" and not (x_display or os.environ.get("DISPLAY")):
        raise ConfigError("AI2-THOR platform=Linux64 needs an X server with GLX and DISPLAY set (sudo ai2thor-xorg "
                          "start); on a headless machine use platform='CloudRendering' (Vulkan + NVIDIA driver)")


def _no_build(name: str, where: str, why: str, plat: str) -> ConfigError:
    return ConfigError(
        f"AI2-THOR's Unity build {name} is not on this machine ({where}) and {why}. (AI2-THOR itself would report "
        f"this as a misleading 'Invalid commit_id'.) To fix it, either: (1) on a machine with internet run "
        f"python -c \"from ai2thor.controller import Controller; Controller(platform='{plat}', download_only=True)\" "
        f"and copy ~/.ai2thor/releases/{name}/ to the same place here; or (2) pass "
        f"local_executable_path='/path/to/{name}/{name}' (or set {ENV_EXECUTABLE}) to use a build you have; or "
        f"(3) use backend='embedded', which needs no download.")


def find_build(platform=None, local_executable_path: str | None = None, commit_id: str | None = None,
               download: bool = True, probe_timeout: float = 10.0) -> dict:
    """Locate a Unity build before AI2-THOR starts; return the Controller keyword arguments that select it.

    Args:
        platform: "CloudRendering", "Linux64", "OSXIntel64" (or an ``ai2thor.platform`` class); default: the
            ``SAT_THOR_PLATFORM`` variable, else :func:`default_platform`.
        local_executable_path: a Unity executable to run (no download, no network); default ``SAT_THOR_EXECUTABLE``.
        commit_id: the build's commit (default: the one pinned by the installed ai2thor wheel).
        download: allow AI2-THOR to download the build when it is not cached.
        probe_timeout: seconds for the HTTP HEAD request that checks the build can be downloaded.

    Returns:
        {"platform": <ai2thor.platform class>, "local_executable_path": path} or {"platform": ..., "commit_id": ...}.

    Raises:
        ConfigError: ai2thor is not installed, the executable is missing, or the build is neither cached nor
            downloadable (with the fixes in the message); or the platform's requirements are missing.
    """
    ai2thor = import_ai2thor()
    exe = local_executable_path or os.environ.get(ENV_EXECUTABLE) or None
    plat = platform or os.environ.get(ENV_PLATFORM) or None
    if exe:
        path = Path(exe).expanduser()
        if path.is_dir():  # a release folder: the executable has the folder's name
            path = path / path.name
        if not path.is_file() or not os.access(path, os.X_OK):
            raise ConfigError(f"AI2-THOR executable {str(path)!r} (local_executable_path / {ENV_EXECUTABLE}) does not "
                              "exist or is not executable; point it at the file inside an extracted build folder, "
                              "e.g. ~/.ai2thor/releases/thor-CloudRendering-<commit>/thor-CloudRendering-<commit>")
        if plat is None:  # ai2thor names builds thor-<Platform>-<commit>
            m = re.search(r"thor-(CloudRendering|Linux64|OSXIntel64)-", str(path))
            plat = m.group(1) if m else default_platform()
        name = _platform_name(plat)
        return {"platform": ai2thor.build.STR_PLATFORM_MAP[name], "local_executable_path": str(path)}
    name = _platform_name(plat or default_platform())
    commit = commit_id or ai2thor.build.COMMIT_ID
    build = ai2thor.build.build_name(name, commit)
    releases = Path.home() / ".ai2thor" / "releases"
    kwargs = {"platform": ai2thor.build.STR_PLATFORM_MAP[name], "commit_id": commit}
    if (releases / build).is_dir():
        return kwargs
    where = f"no folder {releases / build}"
    if not download:
        raise _no_build(build, where, "downloads are disabled (download=False)", name)
    url = ai2thor.build.base_url + f"builds/{build}.zip"
    import requests

    try:
        status = requests.head(url, timeout=probe_timeout).status_code
    except requests.RequestException as e:
        reason = type(e).__name__ + (": name resolution failed" if "NameResolution" in str(e) else "")
        raise _no_build(build, where, f"it cannot be downloaded from {url} ({reason}; no network?)", name) from None
    if status != 200:
        raise _no_build(build, where, f"{url} answered HTTP {status} (no such build for this commit and platform, "
                        "or a proxy blocks it)", name)
    return kwargs


def _local_controller_class(ai2thor, executable: str, platform_cls):
    """A Controller subclass that runs `executable` as a build of `platform_cls`.

    ai2thor's own ``local_executable_path`` wraps the file in an ``ExternalBuild`` whose platform is always Linux64
    on Linux, so a CloudRendering executable would be launched with X11 settings and without CloudRendering's
    quality fix-up (reference 1.1). Answering ``find_build`` with the right platform keeps ai2thor's code path.
    """

    class _LocalBuild(ai2thor.build.ExternalBuild):
        def __init__(self):  # ExternalBuild.__init__ would pick the platform from platform.system()
            self.executable_path = executable
            self.platform = platform_cls
            self.server_types = ["FIFO", "WSGI"]

    class LocalBuildController(ai2thor.controller.Controller):
        def find_build(self, local_build, commit_id, branch, platform):  # ai2thor's signature
            return _LocalBuild()

    return LocalBuildController


def start_controller(build: dict, **controller_kwargs):
    """Start an ``ai2thor.controller.Controller`` on a build returned by :func:`find_build`.

    ai2thor's setup failures (missing build, missing platform dependencies, Unity exiting at once) become
    ConfigErrors that say how to fix them.
    """
    ai2thor = import_ai2thor()
    plat = build["platform"]
    check_platform(plat.__name__, controller_kwargs.get("x_display"))
    kwargs = dict(controller_kwargs, platform=plat)
    controller_cls = ai2thor.controller.Controller
    if "local_executable_path" in build:
        controller_cls = _local_controller_class(ai2thor, build["local_executable_path"], plat)
    else:
        kwargs["commit_id"] = build["commit_id"]
    try:
        return controller_cls(**kwargs)
    except ValueError as e:
        if "Invalid commit_id" in str(e):
            name = ai2thor.build.build_name(plat.__name__, build.get("commit_id", "?"))
            raise _no_build(name, "ai2thor found no cached release", f"ai2thor could not fetch it ({e})",
                            plat.__name__) from e
        raise
    except TimeoutError as e:
        raise ConfigError(f"AI2-THOR's Unity process did not answer in time ({e}); see ~/.ai2thor/log/unity.log and "
                          "~/.config/unity3d/Allen Institute for Artificial Intelligence/AI2-THOR/Player.log, or raise "
                          "server_start_timeout") from e
    except Exception as e:  # ai2thor raises bare Exceptions for these
        msg = str(e)
        if any(k in msg for k in ("missing dependencies", "Unity process has exited", "vulkaninfo", "nvidia-smi")):
            raise ConfigError(f"AI2-THOR could not start Unity on platform {plat.__name__}: {msg.strip()} -- "
                              "CloudRendering needs Vulkan (libvulkan1, vulkan-tools) and an NVIDIA driver; Linux64 "
                              "needs an X server with GLX (sudo ai2thor-xorg start)") from e
        raise


__all__ = ["ENV_EXECUTABLE", "ENV_PLATFORM", "check_platform", "default_platform", "find_build", "import_ai2thor",
           "start_controller"]
