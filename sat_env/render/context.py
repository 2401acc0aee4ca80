"""The per-process OpenGL context (moderngl, standalone, EGL backend).

One context is created lazily per process and shared by every :class:`~sat_env.render.Renderer` of that process.
The process id that created it is remembered: a child forked after that gets a clear error instead of a context
(Mesa's rasteriser threads do not survive ``fork()`` and a new context there can hang); use the 'spawn' or
'forkserver' start method for worker processes.

Environment variables honoured (read by glcontext itself):

* ``GLCONTEXT_LINUX_LIBGL``: the GL/dispatch library to load (e.g. ``libEGL.so.1`` when ``libgl1`` is absent).
* ``GLCONTEXT_DEVICE_INDEX``: the EGL device to use (0 = first; on a CPU-only machine only Mesa's llvmpipe).
"""

from __future__ import annotations

import os
import threading

from sat_env.errors import RendererUnavailableError

__all__ = ["get_context", "gl_info", "INSTALL_HINT"]

INSTALL_HINT = (
    "The embedded renderer needs an OpenGL 3.3 context through EGL (Mesa llvmpipe on CPU, or the NVIDIA driver). "
    "On Debian/Ubuntu install the Mesa EGL packages: "
    "`sudo apt-get install -y --no-install-recommends libegl1 libgl1-mesa-dri libgl1`. "
    "If libGL itself is missing, set GLCONTEXT_LINUX_LIBGL=libEGL.so.1 (or libOpenGL.so.0); "
    "to pick another EGL device (e.g. a GPU) set GLCONTEXT_DEVICE_INDEX=N. "
    "In Docker with an NVIDIA GPU, NVIDIA_DRIVER_CAPABILITIES must include 'graphics'."
)

_lock = threading.Lock()
_ctx = None
_ctx_pid: int | None = None


def _create_context():
    try:
        import moderngl
    except Exception as exc:  # pragma: no cover - moderngl is a hard dependency
        raise RendererUnavailableError(
            f"Could not import moderngl ({type(exc).__name__}: {exc}). `pip install moderngl glcontext`. {INSTALL_HINT}"
        ) from exc

    errors: list[str] = []
    attempts: list[dict] = [{}]
    if not os.environ.get("GLCONTEXT_LINUX_LIBGL"):
        # glcontext looks libGL up with find_library('GL'); without libgl1 the EGL library itself works.
        attempts.append({"libgl": "libEGL.so.1"})
    last_exc: BaseException | None = None
    for extra in attempts:
        try:
            return moderngl.create_context(standalone=True, backend="egl", require=330, **extra)
        except Exception as exc:  # glcontext raises bare Exception
            last_exc = exc
            errors.append(f"create_context(backend='egl'{''.join(f', {k}={v!r}' for k, v in extra.items())}): "
                          f"{type(exc).__name__}: {exc}")
    raise RendererUnavailableError(
        "Could not create an OpenGL context for the renderer. " + INSTALL_HINT + " Original error(s): "
        + "; ".join(errors)
    ) from last_exc


def get_context():
    """The moderngl context of this process, created on first use."""
    global _ctx, _ctx_pid
    pid = os.getpid()
    if _ctx is not None and _ctx_pid == pid:
        return _ctx
    with _lock:
        if _ctx is not None and _ctx_pid != pid:
            # Mesa's rasteriser threads do not survive fork(): a context made in a forked child can hang forever.
            raise RendererUnavailableError(
                "this process was forked from one that had already created an OpenGL context, and GL contexts do "
                "not survive fork(). Start worker processes with the 'spawn' or 'forkserver' method instead, e.g. "
                "multiprocessing.get_context('spawn'), or create the first renderer only inside the workers."
            )
        if _ctx is None:
            _ctx = _create_context()
            _ctx_pid = pid
        return _ctx


def gl_info() -> dict[str, str]:
    """GL_RENDERER, GL_VERSION and GL_VENDOR of this process's context (creates it if needed)."""
    info = get_context().info
    return {k: str(info.get(k, "")) for k in ("GL_RENDERER", "GL_VERSION", "GL_VENDOR")}
