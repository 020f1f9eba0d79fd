package core_test

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// Every Option of New rejects a bad value with a KindConfig error, and only
// that kind (WithNamespace and WithDefaultTTL returned KindInvalidInput).
func TestEveryOptionRejectsBadValuesWithKindConfig(t *testing.T) {
	for name, o := range map[string]core.Option{
		"WithPreset(0)":                        core.WithPreset(0),
		"WithPreset(99)":                       core.WithPreset(99),
		"WithCodec(nil)":                       core.WithCodec(nil),
		"WithEncryptor(nil)":                   core.WithEncryptor(nil),
		"WithNamespace(\"\")":                  core.WithNamespace(""),
		"WithNamespace(\"a:b\")":               core.WithNamespace("a:b"),
		"WithNamespace(long)":                  core.WithNamespace(strings.Repeat("a", core.MaxNamespaceLen+1)),
		"WithDefaultTTL(0)":                    core.WithDefaultTTL(0),
		"WithDefaultTTL(-1s)":                  core.WithDefaultTTL(-time.Second),
		"WithDefaultTTL(31d)":                  core.WithDefaultTTL(core.MaxTTL + time.Hour),
		"WithMaxPayload(0)":                    core.WithMaxPayload(0),
		"WithMaxPayload(-1)":                   core.WithMaxPayload(-1),
		"WithFreshRatio(0)":                    core.WithFreshRatio(0),
		"WithFreshRatio(1)":                    core.WithFreshRatio(1),
		"WithFreshRatio(NaN)":                  core.WithFreshRatio(math.NaN()),
		"WithRetries(-1, 0)":                   core.WithRetries(-1, 0),
		"WithRetries(11, 0)":                   core.WithRetries(11, 0),
		"WithRetries(1, -1ms)":                 core.WithRetries(1, -time.Millisecond),
		"WithRetries(1, 2m)":                   core.WithRetries(1, 2*time.Minute),
		"WithRefreshConcurrency(0)":            core.WithRefreshConcurrency(0),
		"WithLoadTimeout(0)":                   core.WithLoadTimeout(0),
		"WithLoadTimeout(-1s)":                 core.WithLoadTimeout(-time.Second),
		"WithLogger(nil)":                      core.WithLogger(nil),
		"WithObjectCache(0, 1s)":               core.WithObjectCache(0, time.Second),
		"WithObjectCache(10, 0)":               core.WithObjectCache(10, 0),
		"WithObjectCache(10, 25h)":             core.WithObjectCache(10, 25*time.Hour),
		"WithObjectCache(-1, 1s)":              core.WithObjectCache(-1, time.Second),
		"WithObjectCache(10, -1s)":             core.WithObjectCache(10, -time.Second),
		"WithObjectCache(10, MaxObjectAge+1)":  core.WithObjectCache(10, core.MaxObjectAge+1),
		"WithRefreshConcurrency(-5)":           core.WithRefreshConcurrency(-5),
		"WithMaxPayload(math.MinInt)":          core.WithMaxPayload(math.MinInt),
		"WithDefaultTTL(math.MinInt64)":        core.WithDefaultTTL(math.MinInt64),
		"WithRetries(math.MaxInt, 0)":          core.WithRetries(math.MaxInt, 0),
		"WithLoadTimeout(math.MinInt64)":       core.WithLoadTimeout(math.MinInt64),
		"WithFreshRatio(math.Inf(1))":          core.WithFreshRatio(math.Inf(1)),
		"WithNamespace(\"sp ace\")":            core.WithNamespace("sp ace"),
		"WithObjectCache(math.MinInt, 1s)":     core.WithObjectCache(math.MinInt, time.Second),
		"WithRetries(1, math.MaxInt64)":        core.WithRetries(1, math.MaxInt64),
		"WithObjectCache(10, math.MinInt64)":   core.WithObjectCache(10, math.MinInt64),
		"WithPreset(PresetSecure) unencrypted": core.WithPreset(core.PresetSecure),
	} {
		_, err := core.New(newMem(), core.WithCodec(jsonCodec{}), o)
		if core.KindOf(err) != core.KindConfig {
			t.Errorf("New with %s: %v, want a KindConfig error", name, err)
			continue
		}
		if errors.Is(err, core.ErrInvalidInput) {
			t.Errorf("New with %s: %v also matches ErrInvalidInput", name, err)
		}
	}
}

// A huge object-cache bound is accepted and works (its per-shard share was
// computed with an overflowing sum, which made every shard hold one entry).
func TestObjectCacheHugeBound(t *testing.T) {
	c := newClient(t, newMem(), core.WithObjectCache(math.MaxInt, time.Hour))
	ctx := t.Context()
	for i := range 200 {
		k := strconv.Itoa(i)
		_ = c.Set(ctx, k, 1)
		_, _, _ = core.Get[int](ctx, c, k)
	}
	if n := core.ObjectCacheLen(c); n != 200 {
		t.Errorf("object cache holds %d of 200 entries", n)
	}
}
