"""Embedded headless renderer: moderngl on EGL (Mesa llvmpipe on CPU, NVIDIA EGL on GPU).

One pass writes RGB, instance ids and planar depth (metres). See :class:`Renderer`.
"""

from sat_env.render.context import gl_info
from sat_env.render.renderer import Frame, Renderer

__all__ = ["Renderer", "Frame", "gl_info"]
