package memcached

import (
	"net"
	"strconv"
	"strings"
	"time"
)

// Defaults of the options.
const (
	// DefaultTimeout bounds dialling and each socket read or write: 500 ms,
	// gomemcache's own default and core.DefaultReliability's OpTimeout.
	// gomemcache takes no context, so this, not the reliability stack's
	// deadline, is what ends a call to a server that stopped answering.
	DefaultTimeout = 500 * time.Millisecond
	// DefaultMaxIdleConns is the number of idle connections kept per server.
	DefaultMaxIdleConns = 8
	// DefaultMaxItemSize is memcached's default item size limit (its -I
	// option): 1 MiB.
	DefaultMaxItemSize = 1 << 20
)

// itemHeadroom is what an item needs besides its value: memcached counts the
// key (at most 250 bytes), its item header and the CAS value against the item
// size limit.
const itemHeadroom = 512

// Option configures a Backend.
type Option func(*settings) error

type settings struct {
	timeout      time.Duration
	maxIdleConns int
	maxItemSize  int
}

// WithTimeout sets how long dialling a server and each socket read or write
// may take (default DefaultTimeout). It must be positive. gomemcache takes no
// context: a call in flight is bounded by this timeout, not by its context,
// whose end is only checked before the call.
func WithTimeout(d time.Duration) Option {
	return func(s *settings) error {
		if d <= 0 {
			return configErr("timeout " + d.String() + " must be positive")
		}
		s.timeout = d
		return nil
	}
}

// WithMaxIdleConns sets how many idle connections are kept per server
// (default DefaultMaxIdleConns). It must be positive.
func WithMaxIdleConns(n int) Option {
	return func(s *settings) error {
		if n <= 0 {
			return configErr("max idle connections " + strconv.Itoa(n) + " must be positive")
		}
		s.maxIdleConns = n
		return nil
	}
}

// WithMaxItemSize declares the servers' item size limit, memcached's -I
// option (default DefaultMaxItemSize, 1 MiB). Values longer than the limit
// minus 512 bytes of room for the key and item header are refused with a
// core.KindPayloadTooLarge error before anything is sent. It must be between
// 2 KiB and 1 GiB (memcached's own bounds on -I are 1 KiB and 1 GiB).
func WithMaxItemSize(n int) Option {
	return func(s *settings) error {
		if n < 2<<10 || n > 1<<30 {
			return configErr("max item size " + strconv.Itoa(n) + " must be between 2 KiB and 1 GiB")
		}
		s.maxItemSize = n
		return nil
	}
}

// checkServer validates the i-th server address, "host:port" or a unix
// socket path. Its error names the position, never the address (a
// mistyped address may hold a credential).
func checkServer(i int, addr string) error {
	if strings.HasPrefix(addr, "/") {
		return nil // a unix socket path
	}
	if strings.Contains(addr, "/") {
		return configErr("servers[" + strconv.Itoa(i) + "] is not host:port or an absolute socket path")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return configErr("servers[" + strconv.Itoa(i) + "] is not host:port or a socket path")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return configErr("servers[" + strconv.Itoa(i) + "] has an invalid port")
	}
	return nil
}
