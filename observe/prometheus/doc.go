// Package prometheus exports a cachekit-go client's observations
// (core.Observer) as Prometheus metrics, through
// github.com/prometheus/client_golang.
//
// New returns a Collector: register it with a prometheus.Registerer and
// pass its Observer to core.WithObserver (and to compose.WithObserver for
// per-tier series). It depends on core only, never on an adapter.
//
// # Metrics
//
// Labels: tier is "client" for what callers of the client saw (the whole
// stack) or a composition's tier name ("l1", "l2"); op is get, set,
// delete, exists or load; result is hit, miss, stale, ok or error; kind is
// a core.Kind name ("transient", "timeout", …).
//
//	cachekit_requests_total{tier,op,result}           counter
//	cachekit_errors_total{tier,op,kind}               counter
//	cachekit_request_duration_seconds{tier,op}        histogram (seconds)
//	cachekit_bytes_total{tier,op}                     counter (bytes read by hits, written by sets, as stored)
//	cachekit_retries_total{kind}                      counter
//	cachekit_breaker_state                            gauge: 0 closed, 1 open, 2 half-open
//	cachekit_breaker_transitions_total{state}         counter (state entered)
//	cachekit_self_heals_total{kind}                   counter
//	cachekit_invalidations_total{tier,scope}          counter (scope "keys" or "all")
//	cachekit_evictions_total{tier,reason}             counter (entries)
//
// The hit ratio of a tier is
//
//	sum(rate(cachekit_requests_total{op="get",result="hit"}[5m])) by (tier)
//	  / sum(rate(cachekit_requests_total{op="get"}[5m])) by (tier)
//
// Durations are measured only when the Observer times operations, which it
// does unless WithoutDurations is given (each operation then costs two
// clock reads). A batch call (GetMany, SetMany, DeleteMany, GetOrLoadMany)
// counts each key a batch backend call served as one request
// (core.OpEvent.Batch), so the hit ratio includes them, but observes no
// duration for them: theirs is the whole batch's, not one key's latency.
// No key and no value ever becomes a label.
package prometheus
