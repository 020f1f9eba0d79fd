package bigcache_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/conformance/memory"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/l1/bigcache"
)

// lastDeadline is the latest expiry the entry header can hold.
var lastDeadline = time.Unix(0, math.MaxInt64)

// TestHugeTTLClamped: a TTL that reaches past the last deadline the header
// can hold (2262) is clamped to it, for Set, Expire and SetCopy's keep and
// freshness, instead of overflowing into the copy flag, which lost the
// entry (Get missed, Expire reported ok and dropped it) or could serve a
// plain entry as a copy, its value cut short. Such an entry reports, like
// conformance/memory, a known finite freshness and TTL: the remaining time
// to the clamped deadline, about 236 years from 2026.
func TestHugeTTLClamped(t *testing.T) {
	const year = 365 * 24 * time.Hour
	ctx := context.Background()
	value := []byte("value-0123456789") // longer than a header: a misread copy would cut it
	for _, ttl := range []time.Duration{math.MaxInt64, 250 * year, 237 * year} {
		t.Run(ttl.String(), func(t *testing.T) {
			clk := newClock()
			b := newBackend(t, bigcache.WithClock(clk.now))
			clamped := lastDeadline.Sub(clk.now())
			if ttl <= clamped {
				t.Fatalf("test TTL %v does not reach past the last deadline (%v away)", ttl, clamped)
			}
			check := func(what string, want time.Duration) {
				t.Helper()
				e, found, err := b.Get(ctx, "k")
				if err != nil || !found || !bytes.Equal(e.Value, value) {
					t.Fatalf("%s: Get = %q, %v, %v; want %q", what, e.Value, found, err, value)
				}
				if wantF := core.FreshFor(want); e.Freshness != wantF {
					t.Errorf("%s: Freshness = %+v, want %+v", what, e.Freshness, wantF)
				}
				if got, found, err := b.TTL(ctx, "k"); err != nil || !found || got != want {
					t.Errorf("%s: TTL = %v, %v, %v; want %v", what, got, found, err, want)
				}
			}

			if err := b.Set(ctx, "k", value, ttl); err != nil {
				t.Fatalf("Set: %v", err)
			}
			check("Set", clamped)
			clk.advance(100 * year)
			check("Set, 100 years on", clamped-100*year)

			clk = newClock()
			b = newBackend(t, bigcache.WithClock(clk.now))
			if err := b.Set(ctx, "k", value, time.Minute); err != nil {
				t.Fatal(err)
			}
			if ok, err := b.Expire(ctx, "k", ttl); !ok || err != nil {
				t.Fatalf("Expire = %v, %v", ok, err)
			}
			check("Expire", clamped)

			// A copy kept for a huge time, of a value fresh for as long.
			if err := b.SetCopy(ctx, "k", value, ttl, core.FreshFor(ttl)); err != nil {
				t.Fatalf("SetCopy: %v", err)
			}
			check("SetCopy", clamped)
			// A short copy of a value fresh for a huge time reports the
			// value's (clamped) freshness.
			if err := b.SetCopy(ctx, "k", value, time.Minute, core.FreshFor(ttl)); err != nil {
				t.Fatalf("SetCopy: %v", err)
			}
			e, found, err := b.Get(ctx, "k")
			if err != nil || !found || !bytes.Equal(e.Value, value) || e.Freshness != core.FreshFor(clamped) {
				t.Errorf("short copy: Get = %q, %v, %v, %+v; want %q fresh for %v", e.Value, found, err, e.Freshness, value, clamped)
			}

			// conformance/memory reports the same kind of freshness for the
			// same TTL: known and finite.
			m := memory.New(memory.WithClock(newClock().now))
			if err := m.Set(ctx, "k", value, ttl); err != nil {
				t.Fatal(err)
			}
			if e, found, _ := m.Get(ctx, "k"); !found || !e.Freshness.Known || e.Freshness.NoExpiry || e.Freshness.FreshFor < clamped {
				t.Errorf("memory: Get = %v, %+v; want a known freshness of at least %v", found, e.Freshness, clamped)
			}
		})
	}
}

// TestHugeTTLRealClock: the same with time.Now, the reported case.
func TestHugeTTLRealClock(t *testing.T) {
	b := newBackend(t)
	ctx := context.Background()
	if err := b.Set(ctx, "k", []byte("v"), math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	e, found, err := b.Get(ctx, "k")
	if err != nil || !found || string(e.Value) != "v" || !e.Freshness.Known || e.Freshness.NoExpiry || e.Freshness.FreshFor < 200*365*24*time.Hour {
		t.Errorf("Get = %q, %v, %v, %+v; want v fresh for ~236 years", e.Value, found, err, e.Freshness)
	}
}

// TestClockOutsideUnixNanoRange: a WithClock time the header cannot
// express (before 1970, after 2262, the zero time.Time) reads as the
// nearest end of the range. Before 1970 the deadline came out negative,
// which sets the copy flag, and the entry was lost (read as expired), or 0,
// and it never expired; after 2262 UnixNano wrapped around, with the same
// effects.
func TestClockOutsideUnixNanoRange(t *testing.T) {
	ctx := context.Background()
	value := []byte("value-0123456789")
	for _, at := range []time.Time{
		{},
		time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 0, 0, time.UTC), // deadline 0: no expiry
		time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		b := newBackend(t, bigcache.WithClock(func() time.Time { return at }))
		if err := b.Set(ctx, "k", value, time.Minute); err != nil {
			t.Fatalf("%v: Set: %v", at, err)
		}
		e, found, err := b.Get(ctx, "k")
		if err != nil || !found || !bytes.Equal(e.Value, value) {
			t.Fatalf("%v: Get = %q, %v, %v; want %q", at, e.Value, found, err, value)
		}
		if !e.Freshness.Known || e.Freshness.NoExpiry || e.Freshness.FreshFor <= 0 || e.Freshness.FreshFor > time.Minute {
			t.Errorf("%v: Freshness = %+v, want at most 1m", at, e.Freshness)
		}
		if err := b.SetCopy(ctx, "c", value, time.Minute, core.FreshFor(time.Hour)); err != nil {
			t.Fatalf("%v: SetCopy: %v", at, err)
		}
		if e, found, err := b.Get(ctx, "c"); err != nil || !found || !bytes.Equal(e.Value, value) {
			t.Fatalf("%v: Get(copy) = %q, %v, %v; want %q", at, e.Value, found, err, value)
		}
	}
	// nil is time.Now.
	b := newBackend(t, bigcache.WithClock(nil))
	if err := b.Set(ctx, "k", value, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := b.Get(ctx, "k"); !found {
		t.Errorf("WithClock(nil): entry not found")
	}
}

// TestShardsBounded: WithShards above MaxShards is a KindConfig error
// naming the limit. Each shard allocates about 13.5 KiB up front: 1<<20
// shards took 13.5 GiB, 1<<30 got the process killed.
func TestShardsBounded(t *testing.T) {
	b := newBackend(t, bigcache.WithShards(bigcache.MaxShards))
	if err := b.Set(context.Background(), "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	// Smallest first: the code before the fix fails on the first without
	// allocating much.
	for _, n := range []int{bigcache.MaxShards * 2, 1 << 20, 1 << 30, 1 << (strconv.IntSize - 2)} {
		b, err := bigcache.New(bigcache.WithShards(n))
		if b != nil {
			_ = b.Close()
		}
		if core.KindOf(err) != core.KindConfig || !errors.Is(err, core.ErrConfig) {
			t.Fatalf("New(WithShards(%d)) = %v, want KindConfig", n, err)
		}
		if !strings.Contains(err.Error(), strconv.Itoa(bigcache.MaxShards)) {
			t.Errorf("New(WithShards(%d)) = %q; want the limit %d named", n, err, bigcache.MaxShards)
		}
	}
}

// TestMaxBytesHuge: a byte bound too large to round to MiB overflowed into
// a negative HardMaxCacheSize, and New failed with bigcache's misleading
// "HardMaxCacheSize must be >= 0". Such a bound is clamped: in effect
// unbounded.
func TestMaxBytesHuge(t *testing.T) {
	ctx := context.Background()
	big := bytes.Repeat([]byte{7}, 2<<20)
	for _, n := range []int64{math.MaxInt64, math.MaxInt64 - 1<<20 + 2, 1 << 62} {
		b, err := bigcache.New(bigcache.WithMaxBytes(n))
		if err != nil {
			t.Fatalf("New(WithMaxBytes(%d)) = %v", n, err)
		}
		if err := b.Set(ctx, "k", big, time.Minute); err != nil {
			t.Errorf("WithMaxBytes(%d): Set(2 MiB) = %v", n, err)
		}
		if e, found, _ := b.Get(ctx, "k"); !found || !bytes.Equal(e.Value, big) {
			t.Errorf("WithMaxBytes(%d): 2 MiB value not read back", n)
		}
		_ = b.Close()
	}
}

// TestNegativeBounds: a negative byte or entry bound is a KindConfig error;
// it used to mean "unbounded", so that a bound computed with an overflow
// silently turned the bound off.
func TestNegativeBounds(t *testing.T) {
	for name, o := range map[string]bigcache.Option{
		"WithMaxBytes(-1)":       bigcache.WithMaxBytes(-1),
		"WithMaxBytes(MinInt64)": bigcache.WithMaxBytes(math.MinInt64),
		"WithMaxEntries(-5)":     bigcache.WithMaxEntries(-5),
		"WithMaxEntries(MinInt)": bigcache.WithMaxEntries(math.MinInt),
	} {
		b, err := bigcache.New(o)
		if b != nil {
			_ = b.Close()
		}
		if core.KindOf(err) != core.KindConfig {
			t.Errorf("New(%s) = %v, want KindConfig", name, err)
		}
	}
	// Zero stays "unbounded".
	newBackend(t, bigcache.WithMaxBytes(0), bigcache.WithMaxEntries(0))
}

// TestNilOption: New skips nil options, as core.New does; it used to
// panic.
func TestNilOption(t *testing.T) {
	b := newBackend(t, nil, bigcache.WithShards(4), nil)
	ctx := context.Background()
	if err := b.Set(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if e, found, err := b.Get(ctx, "k"); err != nil || !found || string(e.Value) != "v" {
		t.Errorf("Get = %q, %v, %v", e.Value, found, err)
	}
}

// TestZeroBackend: a Backend not made by New fails with KindConfig instead
// of panicking on its nil bigcache.
func TestZeroBackend(t *testing.T) {
	var b bigcache.Backend
	ctx := context.Background()
	errs := map[string]error{}
	_, _, errs["Get"] = b.Get(ctx, "k")
	_, _, errs["GetLocal"] = b.GetLocal(ctx, "k")
	errs["Set"] = b.Set(ctx, "k", []byte("v"), time.Minute)
	errs["SetCopy"] = b.SetCopy(ctx, "k", []byte("v"), time.Minute, core.UnknownFreshness)
	errs["Delete"] = b.Delete(ctx, "k")
	errs["Clear"] = b.Clear(ctx)
	_, errs["Exists"] = b.Exists(ctx, "k")
	errs["Health"] = b.Health(ctx)
	_, _, errs["TTL"] = b.TTL(ctx, "k")
	_, errs["Expire"] = b.Expire(ctx, "k", time.Minute)
	for op, err := range errs {
		if core.KindOf(err) != core.KindConfig {
			t.Errorf("%s on a zero Backend = %v, want KindConfig", op, err)
		}
	}
	if st := b.Stats(); len(st) != 1 || st[0].Name != "bigcache" {
		t.Errorf("Stats = %+v", st)
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}
