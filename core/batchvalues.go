package core

import (
	"context"
	"strconv"
)

// BatchValueGetter is an optional Backend capability: ValueGetter for many
// keys, the values of keys in one round trip without their freshness
// (backend/redis: one MGET on one node). The client's GetMany uses it
// instead of BatchGetter when nothing it does with the hits looks at the
// freshness (a client without an object cache), so that it does not pay
// for a PTTL per key. Tiers that bound copies by freshness (compose) do not
// implement it.
//
// Contract: GetValues answers what BatchGetter.GetMany would, one result
// per key in order, with Freshness unknown, and slices the caller owns.
type BatchValueGetter interface {
	GetValues(ctx context.Context, keys []string) ([]BatchResult, error)
}

// readValues is readMany through the backend's BatchValueGetter; ok is
// false when the backend has none.
func (c *Client) readValues(ctx context.Context, sks []string) (res []BatchResult, ok bool, err error) {
	bv, ok := c.backend.(BatchValueGetter)
	if !ok {
		return nil, false, nil
	}
	err = c.withRetry(ctx, func(ctx context.Context) (err error) {
		res, err = bv.GetValues(ctx, sks)
		return err
	})
	if err == nil && len(res) != len(sks) {
		err = &Error{Kind: KindPermanent, Op: "getmany", Msg: "the backend returned " + strconv.Itoa(len(res)) + " results for " + strconv.Itoa(len(sks)) + " keys"}
	}
	if err != nil {
		c.sh.counters.errors.Add(1)
		return nil, true, Wrap(err, KindUnknown, "getmany")
	}
	return res, true, nil
}
