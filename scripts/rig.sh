#!/usr/bin/env bash
# rig.sh — the container test rig of cachekit-go.
#
# Usage:
#   scripts/rig.sh up            make a container engine reachable and print its env
#   scripts/rig.sh env           print the env of a rig that is up (no setup)
#   scripts/rig.sh down          stop the podman API service this script started
#   scripts/rig.sh status        say what is running
#   scripts/rig.sh image NAME:TAG STATIC-BINARY [ARGS...]
#                                build a local image holding one static binary
#                                (entrypoint: the binary, then ARGS)
#
# `up` prints `export KEY=value` lines on stdout and writes the same lines to
# .rig/env, a file that is valid for `. .rig/env` in a shell and for `include`
# in a Makefile. Progress goes to stderr. Variables:
#   DOCKER_HOST                    the engine endpoint
#   TESTCONTAINERS_RYUK_DISABLED   true under podman (tests terminate containers)
#   TESTCONTAINERS_HOST_OVERRIDE   127.0.0.1 under podman (keep traffic on loopback)
#   CACHEKIT_REDIS_IMAGE           the Redis image the tests run
#   CACHEKIT_MEMCACHED_IMAGE       the memcached image the tests run
#
# Engine choice: a working Docker engine (DOCKER_HOST, or /var/run/docker.sock,
# answering /_ping) is used as it is, with stock images (CACHEKIT_REDIS_IMAGE,
# default redis:7; CACHEKIT_MEMCACHED_IMAGE, default memcached:1.6). Otherwise
# Debian's podman is installed and configured (see shared/ARCHITECTURE.md: no
# Docker engine and no image registry here), Redis and memcached images are
# built from the host's redis-server and memcached with `podman import`,
# and `podman system service` serves the Docker API on .rig/podman.sock.
# Every step is skipped when its result is already there, so a second run is
# fast. Install steps need root and run non-interactively.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RIG=${CACHEKIT_RIG_DIR:-$ROOT/.rig}
SOCK=$RIG/podman.sock
# A unix socket path must fit in 108 bytes: a deep checkout gets a short one.
if ((${#SOCK} > 100)); then
	SOCK=/tmp/cachekit-rig-$(printf '%s' "$RIG" | sha256sum | cut -c1-12)/podman.sock
fi
PIDFILE=$RIG/podman.pid
ENVFILE=$RIG/env
LOG=$RIG/podman.log
REDIS_IMAGE_NAME=localhost/cachekit-redis
MEMCACHED_IMAGE_NAME=localhost/cachekit-memcached
APT_PACKAGES=(podman runc iptables netavark aardvark-dns uidmap slirp4netns
	fuse-overlayfs busybox-static redis-server memcached curl ca-certificates)
BUSYBOX_APPLETS=(sh cat awk grep nc sleep ls ps kill echo env true false)

log() { printf 'rig: %s\n' "$*" >&2; }
die() {
	printf 'rig: error: %s\n' "$*" >&2
	exit 1
}

# ping_engine URL: true when a Docker-API engine answers /_ping at URL.
ping_engine() {
	local host=$1
	case $host in
	unix://*)
		local path=${host#unix://}
		[[ -S $path ]] || return 1
		curl -fsS --max-time 3 --unix-socket "$path" http://d/_ping >/dev/null 2>&1
		;;
	tcp://* | http://*)
		local hp=${host#*://}
		curl -fsS --max-time 3 "http://$hp/_ping" >/dev/null 2>&1
		;;
	*) return 1 ;;
	esac
}

# docker_engine prints the endpoint of a working Docker engine that is not
# this rig's own podman service, or fails.
docker_engine() {
	command -v curl >/dev/null 2>&1 || return 1
	if [[ -n ${DOCKER_HOST:-} && $DOCKER_HOST != "unix://$SOCK" ]]; then
		ping_engine "$DOCKER_HOST" && {
			echo "$DOCKER_HOST"
			return 0
		}
		return 1
	fi
	ping_engine unix:///var/run/docker.sock && {
		echo unix:///var/run/docker.sock
		return 0
	}
	return 1
}

need_root() {
	[[ $(id -u) == 0 ]] || die "$1 needs root (run as root, or provide a Docker engine via DOCKER_HOST)"
}

install_packages() {
	local missing=() p
	for p in "${APT_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	need_root "installing ${missing[*]}"
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	local apt=(apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
	"${apt[@]}" update -qq >&2
	"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >&2
}

write_containers_conf() {
	local want
	want=$(
		cat <<'EOF'
# Written by cachekit-go scripts/rig.sh (see shared/ARCHITECTURE.md).
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"

[network]
network_backend = "netavark"
EOF
	)
	if [[ -f /etc/containers/containers.conf ]] && [[ $(cat /etc/containers/containers.conf) == "$want" ]]; then
		return 0
	fi
	need_root "writing /etc/containers/containers.conf"
	log "writing /etc/containers/containers.conf"
	mkdir -p /etc/containers
	printf '%s\n' "$want" >/etc/containers/containers.conf
}

# add_busybox DIR: /bin/busybox and its applets (testcontainers' port wait
# runs a shell check inside the container).
add_busybox() {
	local root=$1 a
	local bb
	bb=$(command -v busybox || true)
	[[ -x /bin/busybox ]] && bb=/bin/busybox
	[[ -n $bb ]] || die "busybox not found (install busybox-static)"
	mkdir -p "$root/bin" "$root/usr/bin" "$root/tmp" "$root/data" "$root/etc"
	chmod 1777 "$root/tmp"
	cp "$bb" "$root/bin/busybox"
	for a in "${BUSYBOX_APPLETS[@]}"; do
		ln -sf busybox "$root/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
	echo 'root:x:0:' >"$root/etc/group"
}

# add_with_libs ROOT BINARY [DEST]: BINARY (at DEST, default its own path)
# and every library ldd lists.
add_with_libs() {
	local root=$1 bin=$2 dest=${3:-$2} lib
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$bin" "$root$dest"
	while read -r lib; do
		[[ -n $lib && -e $lib ]] || continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done < <(ldd "$bin" 2>/dev/null | awk '{for (i=1;i<=NF;i++) if ($i ~ /^\//) print $i}')
}

# engine_cli prints the CLI that builds images: podman here, docker when an
# engine was found.
engine_cli() {
	if command -v podman >/dev/null 2>&1 && ! docker_engine >/dev/null; then
		echo podman
	elif command -v docker >/dev/null 2>&1; then
		echo docker
	else
		die "neither podman nor a docker CLI is installed"
	fi
}

image_exists() {
	local cli=$1 img=$2
	if [[ $cli == podman ]]; then
		podman image exists "$img"
	else
		docker image inspect "$img" >/dev/null 2>&1
	fi
}

# import_rootfs CLI DIR IMAGE ENTRYPOINT-JSON
import_rootfs() {
	local cli=$1 root=$2 img=$3 ep=$4
	local tarball
	tarball=$(mktemp --suffix=.tar "${TMPDIR:-/tmp}/rig-image.XXXXXX")
	tar -C "$root" -cf "$tarball" .
	"$cli" import \
		--change "ENTRYPOINT $ep" \
		--change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
		--change 'WORKDIR /data' \
		"$tarball" "$img" >/dev/null
	rm -f "$tarball"
}

redis_image() {
	local ver
	ver=$(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p')
	[[ -n $ver ]] || die "cannot read redis-server's version"
	# The suffix is the revision of this script's image recipe: bump it when
	# the recipe changes, so that `up` builds the new image.
	echo "$REDIS_IMAGE_NAME:$ver-r2"
}

build_redis_image() {
	local img=$1
	if podman image exists "$img"; then
		return 0
	fi
	log "building $img from the host's redis-server"
	local root
	root=$(mktemp -d "${TMPDIR:-/tmp}/rig-rootfs.XXXXXX")
	add_busybox "$root"
	add_with_libs "$root" /usr/bin/redis-server
	# redis-sentinel and redis-check-* are the same binary under other names.
	ln -sf redis-server "$root/usr/bin/redis-sentinel"
	# Like the stock image's entrypoint: options or a .conf file as the
	# first argument run redis-server, and protected mode is off (the stock
	# image compiles it off; tests reach the server through a port mapping).
	mkdir -p "$root/usr/local/bin"
	cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'ENTRY'
#!/bin/sh
case "$1" in
redis-server | redis-sentinel) shift ;;
"" | -* | *.conf) ;;
*) exec "$@" ;;
esac
exec /usr/bin/redis-server "$@" --protected-mode no
ENTRY
	chmod 755 "$root/usr/local/bin/docker-entrypoint.sh"
	import_rootfs podman "$root" "$img" '["/usr/local/bin/docker-entrypoint.sh"]'
	rm -rf "$root"
}

memcached_image() {
	local ver
	ver=$(memcached -V | sed -n 's/^memcached \([0-9.]*\).*/\1/p')
	[[ -n $ver ]] || die "cannot read memcached's version"
	# The suffix is the revision of the image recipe (see redis_image).
	echo "$MEMCACHED_IMAGE_NAME:$ver-r1"
}

build_memcached_image() {
	local img=$1
	if podman image exists "$img"; then
		return 0
	fi
	log "building $img from the host's memcached"
	local root
	root=$(mktemp -d "${TMPDIR:-/tmp}/rig-rootfs.XXXXXX")
	add_busybox "$root"
	add_with_libs "$root" /usr/bin/memcached
	echo 'memcache:x:11211:11211:memcache:/data:/bin/false' >>"$root/etc/passwd"
	echo 'memcache:x:11211:' >>"$root/etc/group"
	# Like the stock image's entrypoint: options as the arguments run
	# memcached (as the memcache user), anything else is run as it is.
	mkdir -p "$root/usr/local/bin"
	cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'ENTRY'
#!/bin/sh
case "$1" in
memcached) shift ;;
"" | -*) ;;
*) exec "$@" ;;
esac
exec /usr/bin/memcached -u memcache "$@"
ENTRY
	chmod 755 "$root/usr/local/bin/docker-entrypoint.sh"
	import_rootfs podman "$root" "$img" '["/usr/local/bin/docker-entrypoint.sh"]'
	rm -rf "$root"
}

service_running() {
	ping_engine "unix://$SOCK"
}

start_service() {
	service_running && return 0
	mkdir -p "$RIG" "$(dirname "$SOCK")"
	rm -f "$SOCK"
	log "starting podman system service on $SOCK"
	setsid nohup podman system service --time=0 "unix://$SOCK" >"$LOG" 2>&1 </dev/null &
	echo $! >"$PIDFILE"
	local i
	for ((i = 0; i < 300; i++)); do
		service_running && return 0
		sleep 0.1
	done
	die "podman service did not answer on $SOCK within 30s (log: $LOG)"
}

write_env() {
	mkdir -p "$RIG"
	local tmp=$ENVFILE.tmp
	{
		local kv
		for kv in "$@"; do echo "export $kv"; done
	} >"$tmp"
	mv "$tmp" "$ENVFILE"
	cat "$ENVFILE"
}

cmd_up() {
	local engine
	if engine=$(docker_engine); then
		log "using the Docker engine at $engine"
		write_env "DOCKER_HOST=$engine" "CACHEKIT_REDIS_IMAGE=${CACHEKIT_REDIS_IMAGE:-redis:7}" \
			"CACHEKIT_MEMCACHED_IMAGE=${CACHEKIT_MEMCACHED_IMAGE:-memcached:1.6}"
		return 0
	fi
	install_packages
	write_containers_conf
	local img mimg
	img=$(redis_image)
	build_redis_image "$img"
	mimg=$(memcached_image)
	build_memcached_image "$mimg"
	start_service
	write_env "DOCKER_HOST=unix://$SOCK" \
		TESTCONTAINERS_RYUK_DISABLED=true \
		TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1 \
		"CACHEKIT_REDIS_IMAGE=$img" \
		"CACHEKIT_MEMCACHED_IMAGE=$mimg"
}

cmd_env() {
	[[ -f $ENVFILE ]] || die "the rig is not up: run scripts/rig.sh up"
	cat "$ENVFILE"
}

cmd_down() {
	if [[ -f $PIDFILE ]]; then
		local pid
		pid=$(cat "$PIDFILE")
		# Only the service this script started (the pid may have been reused).
		if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "system service"; then
			log "stopping podman service (pid $pid)"
			kill "$pid"
			local i
			for ((i = 0; i < 50; i++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
		fi
		rm -f "$PIDFILE"
	fi
	rm -f "$SOCK" "$ENVFILE"
}

cmd_status() {
	local engine
	if engine=$(docker_engine); then
		echo "docker engine at $engine"
	elif service_running; then
		echo "podman service on $SOCK (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'))"
	else
		echo "down"
		return 1
	fi
}

cmd_image() {
	(($# >= 2)) || die "usage: scripts/rig.sh image NAME:TAG STATIC-BINARY [ARGS...]"
	local img=$1 bin=$2
	shift 2
	[[ -f $bin && -x $bin ]] || die "$bin is not an executable file"
	if ldd "$bin" >/dev/null 2>&1; then
		log "warning: $bin is dynamically linked; only its libraries from this host are added"
	fi
	local cli
	if ! docker_engine >/dev/null; then
		install_packages
		write_containers_conf
	fi
	cli=$(engine_cli)
	local root name
	root=$(mktemp -d "${TMPDIR:-/tmp}/rig-rootfs.XXXXXX")
	name=$(basename "$bin")
	add_busybox "$root"
	add_with_libs "$root" "$bin" "/usr/local/bin/$name"
	mkdir -p "$root/etc/ssl/certs"
	[[ -f /etc/ssl/certs/ca-certificates.crt ]] && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
	local ep a
	ep="[\"/usr/local/bin/$name\""
	for a in "$@"; do
		a=${a//\\/\\\\}
		a=${a//\"/\\\"}
		ep+=", \"$a\""
	done
	ep+="]"
	log "building $img ($cli import, entrypoint $ep)"
	if image_exists "$cli" "$img"; then
		"$cli" rmi -f "$img" >/dev/null 2>&1 || true
	fi
	import_rootfs "$cli" "$root" "$img" "$ep"
	rm -rf "$root"
	echo "$img"
}

case ${1:-up} in
up) cmd_up ;;
env) cmd_env ;;
down) cmd_down ;;
status) cmd_status ;;
image)
	shift
	cmd_image "$@"
	;;
-h | --help | help) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' ;;
*) die "unknown command $1 (up|env|down|status|image)" ;;
esac
