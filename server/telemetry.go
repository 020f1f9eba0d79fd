package server

import (
	"net/http"
	"slices"
	"strings"
	"sync"
)

// The SDK metrics headers (saas-api.md, Optional Metrics Headers).
const (
	HeaderSessionID    = "X-CacheKit-Session-ID"
	HeaderSessionStart = "X-CacheKit-Session-Start"
	HeaderL1Hits       = "X-CacheKit-L1-Hits"
	HeaderL2Hits       = "X-CacheKit-L2-Hits"
	HeaderMisses       = "X-CacheKit-Misses"
	HeaderL1HitRate    = "X-CacheKit-L1-Hit-Rate"
)

// maxSessions bounds the sessions the server remembers; later sessions are
// not recorded.
const maxSessions = 1024

// ClientReport is what one SDK session told the server in its headers, as
// the server recorded it: the count of requests per X-CacheKit-L1-Status
// value, and the latest metrics headers, verbatim (empty when never sent).
// Sessions are told apart by tenant and X-CacheKit-Session-ID.
type ClientReport struct {
	// Tenant is the authenticated tenant.
	Tenant string
	// SessionID and SessionStart are the session headers.
	SessionID, SessionStart string
	// Requests counts the authenticated requests of the session.
	Requests uint64
	// L1Status counts requests by their X-CacheKit-L1-Status value ("" for
	// a request without one).
	L1Status map[string]uint64
	// L1Hits, L2Hits, Misses and L1HitRate are the latest values of the
	// metrics headers.
	L1Hits, L2Hits, Misses, L1HitRate string
}

type telemetry struct {
	mu       sync.Mutex
	sessions map[[2]string]*ClientReport
}

// record notes one authenticated request's SDK headers.
func (t *telemetry) record(tenant string, h http.Header) {
	id := h.Get(HeaderSessionID)
	if id == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	k := [2]string{tenant, id}
	r := t.sessions[k]
	if r == nil {
		if len(t.sessions) >= maxSessions {
			return
		}
		if t.sessions == nil {
			t.sessions = map[[2]string]*ClientReport{}
		}
		r = &ClientReport{Tenant: tenant, SessionID: id, L1Status: map[string]uint64{}}
		t.sessions[k] = r
	}
	r.Requests++
	r.SessionStart = h.Get(HeaderSessionStart)
	r.L1Status[h.Get(HeaderL1Status)]++
	if v := h.Get(HeaderL2Hits); v != "" {
		r.L1Hits, r.L2Hits, r.Misses, r.L1HitRate = h.Get(HeaderL1Hits), v, h.Get(HeaderMisses), h.Get(HeaderL1HitRate)
	}
}

// ClientReports returns what each SDK session has reported so far, by
// tenant and session id. Tests and operators read it to see what clients
// send; the API exposes none of it.
func (s *Server) ClientReports() []ClientReport {
	s.telemetry.mu.Lock()
	out := make([]ClientReport, 0, len(s.telemetry.sessions))
	for _, r := range s.telemetry.sessions {
		c := *r
		c.L1Status = make(map[string]uint64, len(r.L1Status))
		for k, v := range r.L1Status {
			c.L1Status[k] = v
		}
		out = append(out, c)
	}
	s.telemetry.mu.Unlock()
	slices.SortFunc(out, func(a, b ClientReport) int {
		if c := strings.Compare(a.Tenant, b.Tenant); c != 0 {
			return c
		}
		return strings.Compare(a.SessionID, b.SessionID)
	})
	return out
}
