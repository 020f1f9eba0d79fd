package protocol

import (
	"testing"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// Dates and times the other SDKs cannot read (Python's datetime holds years
// 1-9999 and offsets under a day) are rejected when stored, never written
// to come back as a zero value.
func TestTemporalOutOfRangeRejected(t *testing.T) {
	type withTime struct{ At time.Time }
	for _, v := range []any{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2020, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 30*3600)),
		time.Date(2020, 1, 1, 0, 0, 0, 0, time.FixedZone("x", -24*3600)),
		withTime{At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		[]any{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		Date{2020, 13, 1},
		Date{2021, 2, 29},
		Date{2020, 4, 31},
		Date{0, 1, 1},
		Date{10000, 1, 1},
		TimeOfDay{Hour: 25},
		TimeOfDay{Minute: 60},
		TimeOfDay{Second: -1},
		TimeOfDay{Microsecond: 1_000_000},
		map[string]any{"__datetime__": true, "value": "not a date"},
		map[string]any{"__date__": true, "value": "2020-13-40"},
		map[string]any{"__time__": true, "value": "25:00:00"},
		map[string]any{"outer": map[string]any{"__date__": true, "value": "x"}},
	} {
		for _, c := range []core.Codec{Msgpack(), Envelope(), InteropV2()} {
			b, err := c.Marshal(v)
			if core.KindOf(err) != core.KindInvalidInput {
				t.Errorf("%T Marshal(%#v) = %x, %v; want a KindInvalidInput error", c, v, b, err)
			}
		}
	}
}

// The edges of the range travel and come back equal.
func TestTemporalEdgesRoundTrip(t *testing.T) {
	for _, v := range []time.Time{
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
		time.Date(2020, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 24*3600-60)),
		time.Date(2020, 1, 1, 0, 0, 0, 0, time.FixedZone("x", -(24*3600-1))),
	} {
		b, err := Msgpack().Marshal(v)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", v, err)
		}
		var got time.Time
		if err := Msgpack().Unmarshal(b, &got); err != nil || !got.Equal(v) {
			t.Errorf("round trip of %v = %v, %v", v, got, err)
		}
	}
	for _, d := range []Date{{1, 1, 1}, {9999, 12, 31}, {2024, 2, 29}} {
		b, err := Msgpack().Marshal(d)
		if err != nil {
			t.Fatalf("Marshal(%v): %v", d, err)
		}
		var got Date
		if err := Msgpack().Unmarshal(b, &got); err != nil || got != d {
			t.Errorf("round trip of %v = %v, %v", d, got, err)
		}
	}
	// A well-formed sentinel map is a value the protocol's vectors write.
	if _, err := Msgpack().Marshal(map[string]any{"__date__": true, "value": "2020-01-02"}); err != nil {
		t.Errorf("Marshal of a well-formed date sentinel map: %v", err)
	}
}

// A stored sentinel map whose value does not parse (written by a foreign
// or broken writer) is a decode error for every target, not a zero value
// or a raw map.
func TestMalformedSentinelIsAnError(t *testing.T) {
	enc := func(key, value string) []byte {
		e := encoder{}
		e.encodeSentinel(key, value)
		return e.b
	}
	inStruct := func(key, value string) []byte {
		e := encoder{}
		e.b = appendMapHeader(e.b, 1)
		e.b = appendStr(e.b, "At")
		e.encodeSentinel(key, value)
		return e.b
	}
	type withTime struct{ At time.Time }
	type withDate struct{ At Date }
	for _, c := range []struct {
		name string
		data []byte
		into func() any
	}{
		{"datetime year 10000 into time.Time", enc(sentinelDateTime, "10000-01-01T00:00:00+00:00"), func() any { return new(time.Time) }},
		{"datetime into any", enc(sentinelDateTime, "garbage"), func() any { return new(any) }},
		{"datetime in a struct", inStruct(sentinelDateTime, "2020-01-01T00:00:00+30:00"), func() any { return new(withTime) }},
		{"date 2020-13-40 into Date", enc(sentinelDate, "2020-13-40"), func() any { return new(Date) }},
		{"date in a struct", inStruct(sentinelDate, "2020-02-30"), func() any { return new(withDate) }},
		{"time 25:00 into TimeOfDay", enc(sentinelTime, "25:00:00"), func() any { return new(TimeOfDay) }},
		{"date into map", enc(sentinelDate, "x"), func() any { return new(map[string]any) }},
	} {
		err := Msgpack().Unmarshal(c.data, c.into())
		if core.KindOf(err) != core.KindSerialization {
			t.Errorf("%s: Unmarshal = %v, want a KindSerialization error", c.name, err)
		}
	}
}
