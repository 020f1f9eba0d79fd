package core

import "context"

// Checked bytes in an in-process tier.
//
// A codec's Unmarshal runs the protocol's hostile-input guard over every
// value it decodes, since stored bytes may come from anywhere (another
// process, another SDK, an attacker with write access to Redis). A copy in
// an in-process tier (an L1) is different once the composition that wrote
// it has run that guard over exactly those bytes: reading it back, the guard
// would only say again what it said then. The composition records the
// guard's verdict with the copy as a GuardMark (compose.WithGuard), the L1
// hands it back with the hit (tier.MarkedLocalGetter), and the client's
// codec decodes such a hit without walking it again
// (CheckingCodec.UnmarshalChecked). Bytes read from a remote tier never
// carry a mark, and a client that encrypts ignores marks: its tiers hold
// ciphertext, which the guard never saw.

// GuardMark records that a codec's hostile-input guard accepted a value's
// stored bytes, and what decoding needs to know of what the guard saw (for
// the protocol codecs: whether a temporal sentinel map may be present). It
// is made by a CheckingCodec's Check and is meaningful only to that codec's
// UnmarshalChecked. The zero mark says nothing: the bytes get the full
// checks.
type GuardMark uint8

// CheckingCodec is an optional Codec capability, found by type assertion:
// a codec whose hostile-input checks can run apart from decoding, so that
// bytes checked once, when they entered an in-process tier, are not checked
// again on every read. The protocol module's Msgpack codec implements it.
type CheckingCodec interface {
	Codec
	// Check runs over data the hostile-input checks Unmarshal would run,
	// without decoding it. It returns a non-zero mark when they pass and
	// UnmarshalChecked may later skip them for these bytes, and 0 when they
	// fail or the codec does not vouch for data.
	Check(data []byte) GuardMark
	// UnmarshalChecked is Unmarshal for data that Check accepted with mark
	// m: it may skip the checks m records as passed. For a mark this
	// codec's Check does not make (0 included) it must skip nothing.
	UnmarshalChecked(data []byte, v any, m GuardMark) error
}

// markedLocalGetter is tier.MarkedLocalGetter, declared here with the same
// method set because core does not import core/tier: Get asks a backend
// that has it for an in-process hit first, and decodes a marked hit with
// the codec's UnmarshalChecked.
type markedLocalGetter interface {
	GetLocalMarked(ctx context.Context, key string) (value []byte, fresh Freshness, mark GuardMark, found bool)
}

// readLocal is Get's first step over a backend that answers in-process hits
// with their marks: a fresh local hit, counted and reported as read counts a
// hit. found is false when there is none (no such backend, a done
// context, a miss, a read that cannot answer, a value over the
// stored-size bound): Get then reads the backend
// as usual, which decides (and counts) those cases. Unless the client's
// codec can use it, the mark returned is 0. A client with an object cache,
// which bounds what it keeps by the hit's freshness, reads the backend as
// usual (a marked local read may report freshness from a coarse clock).
func (c *Client) readLocal(ctx context.Context, sk string) (v []byte, fresh Freshness, mark GuardMark, found bool) {
	// The local read does not look at ctx (it does no I/O); a done context
	// gets its error from the read below, as from any other stack.
	if c.marked == nil || c.sh.objects != nil || ctx.Err() != nil {
		return nil, Freshness{}, 0, false
	}
	t := c.opStart()
	v, fresh, mark, found = c.marked.GetLocalMarked(ctx, sk)
	if !found || fresh.Stale || len(v) > c.maxStored {
		return nil, Freshness{}, 0, false
	}
	c.sh.counters.hits.Add(1)
	c.opDone(ctx, OpGet, ResultHit, nil, len(v), t)
	if c.checking == nil {
		mark = 0
	}
	return v, fresh, mark, true
}

// decodeMarked is decodeValue into *out for bytes that may carry a mark: a
// non-zero mark (which readLocal returns only for a client without
// encryption whose codec is a CheckingCodec) decodes with the codec's
// UnmarshalChecked. On error *out is the zero T. Writing into the caller's
// variable saves a copy of the value on the hot path.
func decodeMarked[T any](c *Client, data []byte, sk string, mark GuardMark, out *T) error {
	var zero T
	if mark == 0 {
		v, err := decodeValue[T](c, data, true, sk)
		*out = v
		return err
	}
	if isAbsentEntry(data) {
		*out = zero
		return ErrAbsent
	}
	pool := targetPool[T](c)
	p := pool.Get().(*T)
	err := c.checking.UnmarshalChecked(data, p, mark)
	*out = *p
	*p = zero
	pool.Put(p)
	if err != nil {
		*out = zero
		c.sh.counters.errors.Add(1)
		return Wrap(err, KindSerialization, "decode")
	}
	return nil
}
