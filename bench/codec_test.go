package bench

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	redisbackend "github.com/cachekit-io/cachekit-go/backend/redis"
	"github.com/cachekit-io/cachekit-go/codec/zstd"
	"github.com/cachekit-io/cachekit-go/core"
	"github.com/cachekit-io/cachekit-go/protocol"
)

// compressibleProfiles returns a page of Profile records (no Blob) whose
// plain MessagePack encoding is at least target bytes: a list of records
// with repeated field names and similar values, the kind of value that
// compresses (issue 26 item 5's "64 KiB compressible payload").
func compressibleProfiles(tb testing.TB, target int) []Profile {
	var page []Profile
	for i := 0; ; i++ {
		page = append(page, Profile{
			ID: int64(100000 + i), Name: "User " + strconv.Itoa(100000+i),
			Email: "user" + strconv.Itoa(100000+i) + "@example.com", Active: i%3 != 0, Balance: float64(i) * 1.25,
		})
		if i%64 == 63 {
			b, err := protocol.Msgpack().Marshal(page)
			if err != nil {
				tb.Fatal(err)
			}
			if len(b) >= target {
				return page
			}
		}
	}
}

// codecRows are the codecs BenchmarkCodecL2Hit compares: the default LZ4
// envelope, zstd over MessagePack, and plain MessagePack and JSON for
// reference.
func codecRows(tb testing.TB) []struct {
	name  string
	codec core.Codec
} {
	z, err := zstd.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	zj, err := zstd.New(protocol.JSON())
	if err != nil {
		tb.Fatal(err)
	}
	return []struct {
		name  string
		codec core.Codec
	}{
		{"envelope-lz4", protocol.Envelope()},
		{"zstd", z},
		{"msgpack", protocol.Msgpack()},
		{"json", protocol.JSON()},
		{"zstd-json", zj},
	}
}

// BenchmarkCodecL2Hit: a Get through a client straight over Redis (no L1:
// every read is an L2 hit) of a 64 KiB compressible value, per codec.
// wire-B/op is the size of the stored value, what crosses the network on
// each hit; sec/op includes the round trip, the decompression and the
// typed decode.
func BenchmarkCodecL2Hit(b *testing.B) {
	srv := redisContainer(b)
	page := compressibleProfiles(b, 64<<10)
	for _, row := range codecRows(b) {
		b.Run(fmt.Sprintf("size=64KiB/codec=%s", row.name), func(b *testing.B) {
			ctx := context.Background()
			srv.flush(b)
			rb, err := redisbackend.Wrap(srv.rdb)
			if err != nil {
				b.Fatal(err)
			}
			c, err := core.New(rb, core.WithCodec(row.codec), core.WithDefaultTTL(10*time.Minute))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			if err := c.Set(ctx, "codec", page); err != nil {
				b.Fatal(err)
			}
			keys, err := srv.rdb.Keys(ctx, "*codec*").Result()
			if err != nil || len(keys) != 1 {
				b.Fatalf("stored keys %v: %v", keys, err)
			}
			stored, err := srv.rdb.Get(ctx, keys[0]).Bytes()
			if err != nil {
				b.Fatal(err)
			}
			for range warmups {
				if _, _, err := core.Get[[]Profile](ctx, c, "codec"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				got, found, err := core.Get[[]Profile](ctx, c, "codec")
				if err != nil || !found || len(got) != len(page) {
					b.Fatalf("Get: %d records, found %v: %v", len(got), found, err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(len(stored)), "wire-B/op")
		})
	}
}

// Every codec of the benchmark reads back what it wrote, and zstd stores
// the compressible page in fewer bytes than the LZ4 envelope (run by
// make test over miniredis, no container).
func TestCodecRows(t *testing.T) {
	page := compressibleProfiles(t, 64<<10)
	sizes := map[string]int{}
	for _, row := range codecRows(t) {
		b, err := row.codec.Marshal(page)
		if err != nil {
			t.Fatal(err)
		}
		var got []Profile
		if err := row.codec.Unmarshal(b, &got); err != nil || len(got) != len(page) || got[7].Email != page[7].Email || got[7].Balance != page[7].Balance {
			t.Fatalf("%s: %d records: %v", row.name, len(got), err)
		}
		sizes[row.name] = len(b)
	}
	if sizes["zstd"] >= sizes["envelope-lz4"] || sizes["envelope-lz4"] >= sizes["msgpack"] {
		t.Fatalf("stored sizes %v: want zstd < envelope-lz4 < msgpack", sizes)
	}
	t.Logf("stored sizes: %v", sizes)
}

// BenchmarkCodecUnmarshal: the decode of an L2 hit without the round trip
// (decompression and typed decode of the 64 KiB compressible page).
func BenchmarkCodecUnmarshal(b *testing.B) {
	page := compressibleProfiles(b, 64<<10)
	for _, row := range codecRows(b) {
		b.Run(fmt.Sprintf("size=64KiB/codec=%s", row.name), func(b *testing.B) {
			stored, err := row.codec.Marshal(page)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var got []Profile
				if err := row.codec.Unmarshal(stored, &got); err != nil || len(got) != len(page) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(stored)), "wire-B/op")
		})
	}
}
