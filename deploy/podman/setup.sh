#!/usr/bin/env bash
# Makes rootful podman usable on a CI machine without a Docker engine or an image registry, and
# builds the local Node base image the Dockerfile is given with `--build-arg BASE=...`.
# Idempotent: each step is skipped when its result is already there. CI runs it before `npm test`:
#
#   bash deploy/podman/setup.sh
#
# Afterwards `. /tmp/emporium-podman/env` selects the same configuration in a shell (the image
# test sets those variables itself). Overrides: EMPORIUM_PODMAN_DIR (state folder, default
# /tmp/emporium-podman), EMPORIUM_NODE_BASE (image name), DEBIAN_MIRROR (debootstrap's mirror).
set -euo pipefail

STATE="${EMPORIUM_PODMAN_DIR:-/tmp/emporium-podman}"
BASE_IMAGE="${EMPORIUM_NODE_BASE:-localhost/emporium-node-base}"
SUITE=bookworm

log() { printf 'podman setup: %s\n' "$*"; }
fail() {
  printf 'podman setup: FAILED: %s\n' "$*" >&2
  exit 1
}
trap 'fail "line $LINENO: $BASH_COMMAND"' ERR

[ "$(id -u)" = 0 ] || fail "run as root (rootful podman; debootstrap needs root)"

# 1. Packages.
missing=()
for tool in podman buildah slirp4netns debootstrap runc; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} (apt-get)"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends podman buildah slirp4netns debootstrap runc
else
  log "podman, buildah, slirp4netns, debootstrap and runc are installed"
fi
export PATH="$PATH:/usr/sbin:/sbin"

# 2. Configuration, all under $STATE (never /etc: other users of the machine keep theirs).
mkdir -p "$STATE/storage" "$STATE/run" "$STATE/tmp"
# The sandbox this runs in cannot raise resource limits: containers get the hard limit we have.
nofile="$(ulimit -Hn)"
[ "$nofile" = unlimited ] && nofile=1048576
cat >"$STATE/containers.conf" <<EOF
# Written by deploy/podman/setup.sh.
[containers]
# The defaults ask for more open files than this machine allows, and container creation fails.
default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=32768:32768"]

[engine]
# crun fails on this machine's cgroup setup; runc works.
runtime = "runc"
# No systemd here: plain cgroups and a file for events instead of journald.
cgroup_manager = "cgroupfs"
events_logger = "file"
image_copy_tmp_dir = "$STATE/tmp"
EOF
cat >"$STATE/storage.conf" <<EOF
# Written by deploy/podman/setup.sh.
[storage]
driver = "overlay"
graphroot = "$STATE/storage"
runroot = "$STATE/run"
EOF
cat >"$STATE/env" <<EOF
export CONTAINERS_CONF="$STATE/containers.conf"
export CONTAINERS_STORAGE_CONF="$STATE/storage.conf"
export TMPDIR="$STATE/tmp"
EOF
log "wrote $STATE/containers.conf, $STATE/storage.conf and $STATE/env"
# shellcheck disable=SC1091
. "$STATE/env"

podman info --format '{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}}' >/dev/null ||
  fail "podman info failed with $CONTAINERS_CONF"

# 3. The Node base: Debian minbase plus this machine's node and npm (no registry to pull from).
if podman image exists "$BASE_IMAGE"; then
  log "$BASE_IMAGE exists"
else
  mirror="${DEBIAN_MIRROR:-}"
  if [ -z "$mirror" ]; then
    # The mirror apt already uses (deb822 or one-line sources), else Debian's own.
    mirror="$(grep -hsoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list | head -n1 | tr -d ' ' || true)"
    mirror="${mirror:-http://deb.debian.org/debian}"
  fi
  node_bin="$(command -v node)" || fail "node is not installed on this machine"
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  [ -f "$npm_dir/package.json" ] || fail "cannot find npm's folder (got $npm_dir)"
  rootfs="$(mktemp -d "$STATE/tmp/rootfs.XXXXXX")"
  cleanup_rootfs() { rm -rf "$rootfs"; }
  trap 'cleanup_rootfs' EXIT
  log "debootstrap --variant=minbase $SUITE from $mirror (about 30 s)"
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" >"$STATE/debootstrap.log" 2>&1 ||
    fail "debootstrap failed; see $STATE/debootstrap.log"
  log "adding node $("$node_bin" --version) and npm $(node -p "require('$npm_dir/package.json').version")"
  install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  # Smaller image: apt lists and caches, docs.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
  tar -C "$rootfs" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' \
    - "$BASE_IMAGE" >/dev/null
  cleanup_rootfs
  trap - EXIT
  log "built $BASE_IMAGE"
fi
podman run --rm "$BASE_IMAGE" node -e 'process.exit(0)' || fail "$BASE_IMAGE cannot run node"

# 4. Every change to the sources leaves the previous build stages behind as untagged images (the
# build cache, about 2 GB per change). On a machine that keeps /tmp, drop them past a limit.
limit="${EMPORIUM_PODMAN_CACHE_IMAGES:-60}"
dangling="$(podman images --quiet --filter dangling=true | wc -l)"
if [ "$dangling" -gt "$limit" ]; then
  log "$dangling untagged images (> $limit): removing them"
  podman image prune --force >/dev/null
fi
log "ready: . $STATE/env; podman build --format docker --build-arg BASE=$BASE_IMAGE --target <part> ."
