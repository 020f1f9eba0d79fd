module github.com/cachekit-io/cachekit-go/chaos

go 1.26.0

require (
	github.com/cachekit-io/cachekit-go/backend/cachekitio v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/backend/memcached v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/backend/redis v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/compose v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/conformance v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/conformance/rig v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/core v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/crypto v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/l1/bigcache v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/protocol v0.0.0-00010101000000-000000000000
	github.com/cachekit-io/cachekit-go/server v0.0.0-00010101000000-000000000000
	github.com/redis/go-redis/v9 v9.22.0
	go.uber.org/goleak v1.3.0
)

require (
	dario.cat/mergo v1.0.2 // indirect
	github.com/Azure/go-ansiterm v0.0.0-20250102033503-faa5f7b0171c // indirect
	github.com/Microsoft/go-winio v0.6.2 // indirect
	github.com/allegro/bigcache/v3 v3.1.0 // indirect
	github.com/bradfitz/gomemcache v0.0.0-20260422231931-4d751bb6e37c // indirect
	github.com/cenkalti/backoff/v4 v4.3.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/containerd/errdefs v1.0.0 // indirect
	github.com/containerd/errdefs/pkg v0.3.0 // indirect
	github.com/containerd/log v0.1.0 // indirect
	github.com/containerd/platforms v0.2.1 // indirect
	github.com/cpuguy83/dockercfg v0.3.2 // indirect
	github.com/distribution/reference v0.6.0 // indirect
	github.com/docker/go-connections v0.7.0 // indirect
	github.com/docker/go-units v0.5.0 // indirect
	github.com/ebitengine/purego v0.10.1 // indirect
	github.com/felixge/httpsnoop v1.1.0 // indirect
	github.com/go-logr/logr v1.4.3 // indirect
	github.com/go-logr/stdr v1.2.2 // indirect
	github.com/go-ole/go-ole v1.3.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.18.6 // indirect
	github.com/klauspost/cpuid/v2 v2.2.10 // indirect
	github.com/lufia/plan9stats v0.0.0-20260330125221-c963978e514e // indirect
	github.com/magiconair/properties v1.8.10 // indirect
	github.com/mdelapenya/tlscert v0.2.0 // indirect
	github.com/moby/docker-image-spec v1.3.1 // indirect
	github.com/moby/go-archive v0.2.0 // indirect
	github.com/moby/moby/api v1.55.0 // indirect
	github.com/moby/moby/client v0.5.0 // indirect
	github.com/moby/patternmatcher v0.6.1 // indirect
	github.com/moby/sys/sequential v0.7.0 // indirect
	github.com/moby/sys/user v0.4.0 // indirect
	github.com/moby/sys/userns v0.1.0 // indirect
	github.com/moby/term v0.5.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/power-devops/perfstat v0.0.0-20240221224432-82ca36839d55 // indirect
	github.com/shamaton/msgpack/v2 v2.4.0 // indirect
	github.com/shirou/gopsutil/v4 v4.26.6 // indirect
	github.com/sirupsen/logrus v1.9.4 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
	github.com/testcontainers/testcontainers-go v0.44.0 // indirect
	github.com/testcontainers/testcontainers-go/modules/redis v0.44.0 // indirect
	github.com/tklauser/go-sysconf v0.4.0 // indirect
	github.com/tklauser/numcpus v0.12.0 // indirect
	github.com/yusufpapurcu/wmi v1.2.4 // indirect
	github.com/zeebo/xxh3 v1.1.0 // indirect
	go.opentelemetry.io/auto/sdk v1.2.1 // indirect
	go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp v0.69.0 // indirect
	go.opentelemetry.io/otel v1.44.0 // indirect
	go.opentelemetry.io/otel/metric v1.44.0 // indirect
	go.opentelemetry.io/otel/trace v1.44.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace (
	github.com/cachekit-io/cachekit-go/backend/cachekitio => ../backend/cachekitio
	github.com/cachekit-io/cachekit-go/backend/memcached => ../backend/memcached
	github.com/cachekit-io/cachekit-go/backend/redis => ../backend/redis
	github.com/cachekit-io/cachekit-go/compose => ../compose
	github.com/cachekit-io/cachekit-go/conformance => ../conformance
	github.com/cachekit-io/cachekit-go/conformance/rig => ../conformance/rig
	github.com/cachekit-io/cachekit-go/core => ../core
	github.com/cachekit-io/cachekit-go/crypto => ../crypto
	github.com/cachekit-io/cachekit-go/l1/bigcache => ../l1/bigcache
	github.com/cachekit-io/cachekit-go/protocol => ../protocol
	github.com/cachekit-io/cachekit-go/server => ../server
)
