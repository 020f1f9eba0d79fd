// Package rig starts real Redis servers in containers for tests: a single
// node, a three-master Redis Cluster and a Sentinel setup (one master, one
// replica, one sentinel), with Stop/Start/Pause of any node for fault
// injection; and a memcached server (StartMemcached).
//
// It is a module of its own so that importing the conformance suite never
// pulls testcontainers, Docker clients or Redis clients into a build.
//
// # Environment
//
// The rig talks to whatever container engine testcontainers-go finds:
// DOCKER_HOST, or the default Docker socket. On a machine without a Docker
// engine, scripts/rig.sh up (at the repository root) installs podman, builds
// a local Redis image and prints the variables to export:
//
//	eval "$(scripts/rig.sh up)"
//
// which sets DOCKER_HOST, TESTCONTAINERS_RYUK_DISABLED=true,
// TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1, CACHEKIT_REDIS_IMAGE and
// CACHEKIT_MEMCACHED_IMAGE. The images come from CACHEKIT_REDIS_IMAGE
// (default "redis:7") and CACHEKIT_MEMCACHED_IMAGE (default "memcached:1.6").
//
// Ryuk, testcontainers' reaper, may be off: every container a helper starts
// is terminated through t.Cleanup.
//
// When no engine answers, helpers call t.Skip with the reason — except when
// CI=true, where a missing runtime is a failure (t.Fatal).
//
// # Networking
//
// A single node publishes its port on 127.0.0.1 at a host port picked up
// front, so the address survives Stop/Start. Cluster and Sentinel nodes run
// with host networking, each bound to 127.0.0.1 on its own free port: Redis
// Cluster and Sentinel hand out node addresses to clients, and with host
// networking the addresses the nodes announce are the ones the test process
// dials, with no NAT in between. (A bridge network would need
// cluster-announce-ip set to an address both the nodes and the host reach,
// which does not exist for 127.0.0.1 port mappings.) Host networking needs a
// Linux engine (podman, Docker Engine, or Docker Desktop with host
// networking enabled).
package rig
