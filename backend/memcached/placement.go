package memcached

import (
	"net"
	"strconv"
	"strings"

	"github.com/bradfitz/gomemcache/memcache"
)

// rendezvous is a memcache.ServerSelector that places keys as cachekit-py
// does: pymemcache's HashClient with its default RendezvousHash. Each server
// is named "host:port" (the port as a decimal number); a key goes to the
// server whose name scores highest, the score being the 32-bit MurmurHash3
// (seed 0) of "<name>-<key>", and a tie goes to the greater name. So a Go
// service and a Python one configured with the same servers read and write
// each key on the same server. (gomemcache's own ServerList hashes with
// CRC-32 modulo the number of servers, which would scatter the keys
// differently.) Unlike pymemcache, servers are never taken out of rotation
// when they fail: an unreachable server's keys fail until it is back.
type rendezvous struct {
	names []string
	addrs []net.Addr
}

// addr is a resolved server address (gomemcache keys its connection pool by
// String, so it must not change after resolution).
type addr struct{ network, str string }

func (a addr) Network() string { return a.network }
func (a addr) String() string  { return a.str }

// newRendezvous resolves servers (already checked by checkServer).
func newRendezvous(servers []string) (*rendezvous, error) {
	r := &rendezvous{}
	for _, s := range servers {
		if strings.HasPrefix(s, "/") {
			ua, err := net.ResolveUnixAddr("unix", s)
			if err != nil {
				return nil, err
			}
			r.names = append(r.names, s)
			r.addrs = append(r.addrs, addr{ua.Network(), ua.String()})
			continue
		}
		ta, err := net.ResolveTCPAddr("tcp", s)
		if err != nil {
			return nil, err
		}
		host, port, _ := net.SplitHostPort(s)
		p, _ := strconv.Atoi(port)
		if strings.Contains(host, ":") {
			host = "[" + host + "]" // as cachekit-py's "host:port" split keeps it
		}
		r.names = append(r.names, host+":"+strconv.Itoa(p))
		r.addrs = append(r.addrs, addr{ta.Network(), ta.String()})
	}
	return r, nil
}

var _ memcache.ServerSelector = (*rendezvous)(nil)

// PickServer implements memcache.ServerSelector.
func (r *rendezvous) PickServer(key string) (net.Addr, error) {
	switch len(r.addrs) {
	case 0:
		return nil, memcache.ErrNoServers
	case 1:
		return r.addrs[0], nil
	}
	best, winner := int64(-1), 0
	for i, name := range r.names {
		score := int64(murmur3Chars(name + "-" + key))
		if score > best || (score == best && name > r.names[winner]) {
			best, winner = score, i
		}
	}
	return r.addrs[winner], nil
}

// Each implements memcache.ServerSelector.
func (r *rendezvous) Each(f func(net.Addr) error) error {
	for _, a := range r.addrs {
		if err := f(a); err != nil {
			return err
		}
	}
	return nil
}

// murmur3Chars is MurmurHash3 x86 32-bit with seed 0 over the characters of
// s, as pymemcache computes it on a Python str: one input byte per
// character (the low 8 bits of its code point), the length counted in
// characters. For ASCII it is the standard hash of the bytes.
func murmur3Chars(s string) uint32 {
	const c1, c2 = 0xcc9e2d51, 0x1b873593
	var h, k uint32
	n, i := 0, 0
	for _, r := range s {
		k |= uint32(byte(r)) << (8 * i)
		n++
		i++
		if i == 4 {
			k *= c1
			k = k<<15 | k>>17
			k *= c2
			h ^= k
			h = h<<13 | h>>19
			h = h*5 + 0xe6546b64
			k, i = 0, 0
		}
	}
	if i > 0 {
		k *= c1
		k = k<<15 | k>>17
		k *= c2
		h ^= k
	}
	h ^= uint32(n)
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
