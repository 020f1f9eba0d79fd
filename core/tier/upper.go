package tier

import "context"

// UpperStatus is what the tier above a backend did for the request a
// context carries: what a cachekit.io backend sends as X-CacheKit-L1-Status.
type UpperStatus uint8

// The statuses. The zero value means no tier above reported anything.
const (
	// UpperUnknown: no tier above reported (no composition, or a policy
	// that asks every tier at once).
	UpperUnknown UpperStatus = iota
	// UpperHit: the tier above held the key (a stale copy the composition
	// still revalidates).
	UpperHit
	// UpperMiss: the tier above exists and did not answer this request: it
	// did not hold the key, or the request is a write or delete that goes
	// through every tier.
	UpperMiss
)

// UpperReport is what a composition tells the tier below it about the
// request in a context: the status, and a function returning its upper
// tier's cumulative hit count (for the metrics headers of cachekit.io).
type UpperReport struct {
	// Status is what the tier above did.
	Status UpperStatus
	// Hits returns the number of hits the tier above has answered so far,
	// or is nil.
	Hits func() uint64
}

type upperKey struct{}

// WithUpperReport returns a context carrying r for the tier below. A
// composition calls it only on the way to its lower tier, which costs one
// small allocation per lower-tier call.
func WithUpperReport(ctx context.Context, r *UpperReport) context.Context {
	return context.WithValue(ctx, upperKey{}, r)
}

// UpperReportFrom returns the report in ctx, or nil.
func UpperReportFrom(ctx context.Context) *UpperReport {
	r, _ := ctx.Value(upperKey{}).(*UpperReport)
	return r
}

// UpperReportReader is an optional core.Backend capability of a lower tier
// that reads the UpperReport of its requests' contexts (backend/cachekitio
// does, for its headers). A composition attaches a report only to the
// calls of a lower tier whose ReadsUpperReport says true, since attaching
// one costs an allocation per call.
type UpperReportReader interface {
	// ReadsUpperReport reports whether the backend reads UpperReports.
	ReadsUpperReport() bool
}
