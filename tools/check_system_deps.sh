#!/bin/sh
# Checks for the Mesa EGL libraries the headless renderer needs; installs them with apt-get when run as root,
# otherwise prints the exact command and stops.
PKGS="libegl1 libgl1-mesa-dri libgl1"
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_dri() {
  for d in /usr/lib/x86_64-linux-gnu/dri /usr/lib/aarch64-linux-gnu/dri /usr/lib/dri /usr/lib64/dri /usr/lib/*/dri; do
    [ -e "$d/swrast_dri.so" ] && return 0
  done
  # A machine with an NVIDIA EGL driver does not need Mesa's software rasteriser.
  [ -e /usr/share/glvnd/egl_vendor.d/10_nvidia.json ] && return 0
  return 1
}
if have_lib libEGL.so.1 && have_lib libGL.so.1 && have_dri; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "SAT-Env needs the Mesa EGL libraries (Debian/Ubuntu: $PKGS). Install your distribution's equivalent." >&2
  exit 1
fi
if [ "$(id -u)" = "0" ]; then
  echo "Installing the Mesa EGL packages for headless rendering: $PKGS"
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq --no-install-recommends $PKGS) || {
    echo "apt-get failed; install them by hand: apt-get install -y --no-install-recommends $PKGS" >&2; exit 1; }
  exit 0
fi
echo "SAT-Env needs the Mesa EGL libraries for headless rendering. Run:" >&2
echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $PKGS" >&2
echo "then run make again." >&2
exit 1
