package memcached

import (
	"strconv"
	"strings"
	"testing"
)

func TestMurmur3Chars(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint32
	}{
		// Standard MurmurHash3 x86 32-bit vectors (seed 0).
		{"", 0},
		{"hello", 0x248bfa47},
		{"The quick brown fox jumps over the lazy dog", 0x2e4ff723},
		// pymemcache's per-character variant, from a Python run of its
		// algorithm.
		{"ünïcødé-键-🔑", 0xc0942b3c},
		{"10.0.0.1:11211-user:42", 0xe3a1514a},
	} {
		if got := murmur3Chars(tc.in); got != tc.want {
			t.Errorf("murmur3Chars(%q) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}

// Keys land where cachekit-py's pymemcache HashClient puts them, for the
// same three servers (expected indexes from a Python run of pymemcache's
// RendezvousHash algorithm).
func TestRendezvousMatchesPymemcache(t *testing.T) {
	servers := []string{"10.0.0.1:11211", "10.0.0.2:11211", "10.0.0.3:11211"}
	r, err := newRendezvous(servers)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"ns:app:user:0": 2, "ns:app:user:1": 1, "ns:app:user:2": 2, "ns:app:user:3": 1,
		"ns:app:user:4": 2, "ns:app:user:5": 0, "ns:app:user:6": 0, "ns:app:user:7": 0,
		"ns:app:user:8": 1, "ns:app:user:9": 0, "ns:app:user:10": 0, "ns:app:user:11": 0,
		"ünïcødé-键": 1, "ns:x:" + strings.Repeat("y", 200): 0,
	}
	for k, i := range want {
		a, err := r.PickServer(k)
		if err != nil {
			t.Fatal(err)
		}
		if a.String() != servers[i] {
			t.Errorf("PickServer(%q) = %s, want %s", k, a, servers[i])
		}
	}
}

// Names are "host:port" with the port as a number, as cachekit-py builds
// them from its (host, int(port)) pairs.
func TestRendezvousNames(t *testing.T) {
	r, err := newRendezvous([]string{"127.0.0.1:011211", "[::1]:11211", "/tmp/mc.sock"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1:11211", "[::1]:11211", "/tmp/mc.sock"}
	for i, n := range r.names {
		if n != want[i] {
			t.Errorf("name %d = %q, want %q", i, n, want[i])
		}
	}
	seen := map[string]int{}
	for i := range 300 {
		a, _ := r.PickServer("k" + strconv.Itoa(i))
		seen[a.String()]++
	}
	if len(seen) != 3 {
		t.Errorf("300 keys went to %d servers: %v", len(seen), seen)
	}
}
