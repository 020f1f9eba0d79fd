package core

import (
	"strconv"
	"time"
)

// CallOption tunes one call of a Client: Set, SetMany, GetOrLoad, Cached and
// CachedWithKey take them after their arguments, as in
//
//	c.Set(ctx, key, v, core.TTL(time.Minute))
//	core.GetOrLoad(ctx, c, key, load, core.TTL(time.Minute), core.FreshRatio(0.8))
//
// TTL and TTLJitter apply to every call that stores a value.
// StaleWhileRevalidate, FreshRatio, FillLock and CacheAbsent apply to
// read-through only (GetOrLoad, GetOrLoadMany, Cached, CachedWithKey):
// passed to Set or SetMany they are a KindInvalidInput error that names the
// option. A bad value (a TTL the protocol rejects, a ratio outside (0, 1))
// is a KindInvalidInput error of the call, returned before any I/O. The zero
// CallOption does nothing. A CallOption is a plain value: passing one costs
// no allocation.
type CallOption struct {
	kind  callKind
	ttl   time.Duration
	on    bool
	ratio float64
}

type callKind uint8

const (
	callNone callKind = iota
	callTTL
	callSWR
	callFreshRatio
	callFillLock
	callTTLJitter
	callCacheAbsent
)

// name is the option's constructor, for errors.
func (k callKind) name() string {
	switch k {
	case callTTL:
		return "TTL"
	case callSWR:
		return "StaleWhileRevalidate"
	case callFreshRatio:
		return "FreshRatio"
	case callFillLock:
		return "FillLock"
	case callTTLJitter:
		return "TTLJitter"
	case callCacheAbsent:
		return "CacheAbsent"
	}
	return "CallOption(" + strconv.Itoa(int(k)) + ")"
}

// TTL sets the lifetime of what the call stores: the value of Set, every
// value of SetMany, the loaded value of GetOrLoad and Cached. Without it the
// client's default TTL applies (see WithDefaultTTL, WithNeverExpire). The
// protocol's TTL rules apply (0 < ttl ≤ MaxTTL; a sub-second TTL rounds up
// to one second); a TTL they reject fails the call with KindInvalidInput.
func TTL(ttl time.Duration) CallOption { return CallOption{kind: callTTL, ttl: ttl} }

// StaleWhileRevalidate turns stale-while-revalidate on or off for one
// GetOrLoad or Cached call, overriding the client's setting
// (WithStaleWhileRevalidate). It is read-through only.
func StaleWhileRevalidate(on bool) CallOption { return CallOption{kind: callSWR, on: on} }

// FreshRatio sets, for one GetOrLoad or Cached call, the share of the TTL
// during which a value counts as fresh (0 < r < 1), overriding the client's
// setting (WithFreshRatio). It is read-through only; a ratio outside (0, 1)
// fails the call with KindInvalidInput.
func FreshRatio(r float64) CallOption { return CallOption{kind: callFreshRatio, ratio: r} }

// callSettings are the effective settings of one call.
type callSettings struct {
	ttl        time.Duration
	swr        bool
	freshRatio float64
	fillLock   bool          // the distributed fill lock (FillLock)
	jitter     float64       // TTL jitter, percent (TTLJitter)
	absentTTL  time.Duration // negative caching, 0 = off (CacheAbsent)
}

// callSettings applies opts over the client's defaults for one call of op.
// Unless load is set (read-through), a read-through-only option is an
// error. The first bad option is returned, as a KindInvalidInput *Error.
func (c *Client) callSettings(op string, load bool, opts []CallOption) (callSettings, error) {
	s := callSettings{ttl: c.DefaultTTL(), swr: c.swr, freshRatio: c.freshRatio, fillLock: c.fill.on, jitter: c.ttlJitter, absentTTL: c.absentTTL}
	for _, o := range opts {
		switch o.kind {
		case callNone:
		case callTTL:
			ttl, err := NormalizeTTL(o.ttl)
			if err != nil {
				return s, err
			}
			s.ttl = ttl
		case callTTLJitter:
			if !checkJitter(o.ratio) {
				return s, invalid(op, "", "TTLJitter must be in [0, 50], got "+strconv.FormatFloat(o.ratio, 'g', -1, 64))
			}
			s.jitter = o.ratio
		case callSWR, callFreshRatio, callFillLock, callCacheAbsent:
			if !load {
				return s, invalid(op, "", o.kind.name()+" applies to read-through (GetOrLoad, Cached) only, not to "+op)
			}
			switch o.kind {
			case callSWR:
				s.swr = o.on
				continue
			case callFillLock:
				s.fillLock = o.on
				continue
			case callCacheAbsent:
				s.absentTTL = 0
				if o.ttl == 0 {
					continue
				}
				ttl, err := checkNegativeTTL(o.ttl)
				if err != nil {
					return s, invalid(op, "", "CacheAbsent: "+err.(*Error).Msg)
				}
				s.absentTTL = ttl
				continue
			}
			if !(o.ratio > 0 && o.ratio < 1) {
				return s, invalid(op, "", "FreshRatio must be in (0, 1), got "+strconv.FormatFloat(o.ratio, 'g', -1, 64))
			}
			s.freshRatio = o.ratio
		default:
			return s, invalid(op, "", "unknown "+o.kind.name())
		}
	}
	return s, nil
}
