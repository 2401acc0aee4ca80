"""GLSL 3.30 core shaders of the one-pass MRT renderer (colour, instance id, planar depth).

Look: Lambert + hemisphere ambient + a weak directional fill; each fragment is lit by its room's ceiling light
(uniform array indexed by the vertex's room; room -1 gets ambient and fill only) with a gentle distance falloff.
Procedural textures from world position and normal by material code (geometry.MATERIALS), using an integer hash
(no textures, no samplers: deterministic). The fragment shader is compiled once per material (``#define MAT``):
llvmpipe evaluates every branch of a per-fragment material switch, so one program per material is ~2x faster. Colours are treated as sRGB with gamma 2 (square in, sqrt out).
"""

from __future__ import annotations

MAX_ROOMS = 128

VERTEX_SHADER = """
#version 330 core
#define MAX_ROOMS %(max_rooms)d
uniform mat4 u_view;
uniform mat4 u_proj;
uniform vec4 u_lights[MAX_ROOMS];   // xyz position, w intensity (0 = no light)
in vec3 in_pos;
in vec3 in_nrm;
in vec3 in_col;
in float in_mat;
in int in_inst;
in int in_room;
out vec3 v_pos;
out vec3 v_nrm;
out float v_depth;
flat out vec3 v_col;
flat out int v_inst;
flat out int v_mat;
flat out vec4 v_light;
void main() {
    vec4 eye = u_view * vec4(in_pos, 1.0);
    gl_Position = u_proj * eye;
    v_depth = -eye.z;
    v_pos = in_pos;
    v_nrm = in_nrm;
    v_col = in_col * in_col;          // sRGB-ish -> linear (gamma 2)
    v_inst = in_inst;
    v_mat = int(in_mat + 0.5);
    v_light = (in_room >= 0 && in_room < MAX_ROOMS) ? u_lights[in_room] : vec4(0.0);
}
""" % {"max_rooms": MAX_ROOMS}

FRAGMENT_TEMPLATE = """
#version 330 core
#define MAT %(material)d
uniform vec3 u_eye;
in vec3 v_pos;
in vec3 v_nrm;
in float v_depth;
flat in vec3 v_col;
flat in int v_inst;
flat in int v_mat;
flat in vec4 v_light;
layout(location = 0) out vec4 f_color;
layout(location = 1) out int f_id;
layout(location = 2) out float f_depth;

uint hash2(ivec2 q) {
    uint h = uint(q.x) * 0x8da6b343u ^ uint(q.y) * 0xd8163841u;
    h ^= h >> 15; h *= 0x2c1b3c6du; h ^= h >> 12;
    return h;
}
float rnd(ivec2 q) { return float(hash2(q) & 0xffffu) * (1.0 / 65535.0); }
// Coverage of lines at the integers of x, half-width w (units of x), box-filtered by the pixel footprint.
float aa_line(float x, float w) {
    float fw = max(fwidth(x), 1e-6);
    float d = abs(fract(x + 0.5) - 0.5);
    return clamp((w + 0.5 * fw - d) / fw, 0.0, 1.0) * min(1.0, 2.0 * w / fw);
}

void main() {
    f_id = v_inst;
    f_depth = v_depth;
    vec3 base = v_col;
#if MAT == 5
    f_color = vec4(sqrt(base), 1.0);        // emissive: unlit
#else
    vec3 N = normalize(v_nrm);
    vec3 an = abs(N);
    // In-plane coordinates from the dominant normal axis.
    bool horiz = an.y >= an.x && an.y >= an.z;
    vec2 uv = horiz ? v_pos.xz : (an.x >= an.z ? v_pos.zy : v_pos.xy);
    float tex = 1.0;
    float spec = 0.0;
#if MAT == 0
    tex = 0.985 + 0.03 * rnd(ivec2(floor(uv * 90.0)));          // paint: very faint stipple
#elif MAT == 1
    if (horiz) {                                                   // wood: planks along x, staggered ends
        float pw = 0.17;
        float q = uv.y / pw;
        float row = floor(q);
        float along = uv.x / 1.3 + rnd(ivec2(int(row), 7));
        float plank = floor(along);
        float tone = 0.84 + 0.24 * rnd(ivec2(int(row), int(plank)));
        float fq = fwidth(uv.y);
        float grain = 1.0 + 0.06 * clamp(1.0 - fq * 60.0, 0.0, 1.0)
                            * sin(uv.y * 240.0 + 3.0 * sin(uv.x * 2.3 + row * 1.7));
        float seam = max(aa_line(q, 0.025), aa_line(along, 0.006));
        tex = tone * grain * (1.0 - 0.4 * seam);
    } else {
        float fq = fwidth(uv.x);
        tex = 0.96 + 0.06 * clamp(1.0 - fq * 25.0, 0.0, 1.0)
              * sin(uv.x * 90.0 + 2.5 * sin(uv.y * 3.1 + uv.x * 7.0));
    }
#elif MAT == 2
    vec2 q = uv / 0.3;                                             // tile: 0.3 m squares, light grout
    float g = max(aa_line(q.x, 0.02), aa_line(q.y, 0.02));
    tex = 0.96 + 0.06 * rnd(ivec2(floor(q)));
    base = mix(base, vec3(0.62), 0.8 * g);
    spec = 0.15 * (1.0 - g);
#elif MAT == 3
    ivec2 c = ivec2(floor(uv * 220.0));                            // fabric: fine weave
    tex = 0.86 + 0.07 * float((c.x + c.y) & 1) + 0.06 * rnd(c);
#elif MAT == 4
    tex = 1.05;                                                    // metal
    spec = 0.6;
#elif MAT == 6
    tex = 0.85;                                                    // glossy
    spec = 0.8;
#elif MAT == 7
    ivec2 c = ivec2(floor(uv * 70.0));                             // carpet: coarse noise
    tex = 0.8 + 0.25 * rnd(c) + 0.08 * rnd(c >> 2);
#endif
    // Lighting (linear).
    vec3 amb = mix(vec3(0.32, 0.28, 0.25), vec3(0.36, 0.37, 0.40), 0.5 + 0.5 * N.y);
    float fill = 0.10 * max(dot(N, vec3(0.48, 0.64, -0.60)), 0.0) + 0.05 * max(dot(N, vec3(-0.6, 0.0, 0.8)), 0.0);
    vec3 light = amb + vec3(fill);
    float hl = 0.0;
    if (v_light.w > 0.0) {
        vec3 L = v_light.xyz - v_pos;
        float d2 = dot(L, L);
        L *= inversesqrt(d2);
        float ndl = max(dot(N, L), 0.0);
        float att = v_light.w / (1.0 + 0.06 * d2);
        light += vec3(1.0, 0.93, 0.82) * (0.85 * ndl * att);
        // Light bounced off the floor reaches surfaces facing down (ceilings, table undersides).
        light += vec3(0.50, 0.47, 0.43) * max(-N.y, 0.0) * v_light.w;
#if MAT == 2 || MAT == 4 || MAT == 6
        vec3 H = normalize(L + normalize(u_eye - v_pos));
        hl = spec * pow(max(dot(N, H), 0.0), 32.0) * att;
#endif
    }
    vec3 col = base * tex * light + vec3(hl * 0.5);
    f_color = vec4(sqrt(col), 1.0);
#endif
}
"""


# Instance ids only (scoring candidate viewpoints): the same clip-space position as VERTEX_SHADER (u_proj @ u_view
# folded into one matrix) and a fragment shader that writes the id attachment alone.
IDS_VERTEX_SHADER = """
#version 330 core
uniform mat4 u_view_proj;
in vec3 in_pos;
in int in_inst;
flat out int v_inst;
out float v_depth;
void main() {
    gl_Position = u_view_proj * vec4(in_pos, 1.0);
    v_inst = in_inst;
    v_depth = gl_Position.w;  // = -eye.z for a perspective projection: planar depth
}
"""

IDS_FRAGMENT_SHADER = """
#version 330 core
flat in int v_inst;
in float v_depth;
layout(location = 1) out int f_id;
layout(location = 2) out float f_depth;
void main() {
    f_id = v_inst;
    f_depth = v_depth;
}
"""


def fragment_shader(material: int) -> str:
    """The fragment shader specialised for one material code (only that material's texture code is compiled)."""
    return FRAGMENT_TEMPLATE % {"material": int(material)}

