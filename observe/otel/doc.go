// Package otel exports a cachekit-go client's observations (core.Observer)
// through the OpenTelemetry metric and trace APIs. It uses the API only:
// the application chooses and configures the SDK and its exporters, and
// passes the providers (or sets the global ones).
//
//	obs, err := otel.New(otel.WithMeterProvider(mp), otel.WithTracerProvider(tp))
//	c, err := core.New(backend, core.WithCodec(protocol.Msgpack()), core.WithObserver(obs))
//
// It depends on core only, never on an adapter.
//
// # Metrics
//
// OpenTelemetry's semantic conventions name the duration of a database
// client's operations; this package uses that name and its attributes
// (db.system.name is "cachekit", db.operation.name the operation). Caches
// have no conventions for the rest, so those instruments live under
// "cachekit.".
//
//	name                            instrument       unit       attributes
//	db.client.operation.duration    histogram        s          db.system.name, db.operation.name, cachekit.tier, cachekit.result, error.type (on errors)
//	cachekit.client.requests        counter          {request}  db.operation.name, cachekit.tier, cachekit.result
//	cachekit.client.bytes           counter          By         db.operation.name, cachekit.tier
//	cachekit.client.retries         counter          {retry}    error.type
//	cachekit.breaker.state          gauge (int64)    {state}    — (0 closed, 1 open, 2 half-open)
//	cachekit.breaker.transitions    counter          {transition} cachekit.breaker.state (the state entered)
//	cachekit.self_heals             counter          {value}    error.type
//	cachekit.invalidations          counter          {report}   cachekit.tier, cachekit.invalidation.scope ("keys" or "all")
//	cachekit.evictions              counter          {entry}    cachekit.tier, cachekit.eviction.reason
//
// Attribute values: cachekit.tier is "client" (what callers of the client
// saw) or a composition's tier name ("l1", "l2"); db.operation.name is
// get, set, delete, exists or load; cachekit.result is hit, miss, stale,
// ok or error; error.type is a core.Kind name ("transient", "timeout", …).
// bytes are the stored size (after encoding and encryption) read by hits
// and written by sets.
//
// A batch call (GetMany, SetMany, DeleteMany, GetOrLoadMany) counts each
// key a batch backend call served as one request (core.OpEvent.Batch), so
// hit ratios include them; those keys record no duration and no span: the
// time they carry is the whole batch's, not one key's latency.
//
// # Traces
//
// Each operation of the client (tier "client"; each tier call too with
// WithTierSpans) becomes a span of kind client named "cachekit {op}"
// ("cachekit get"), a child of the span in the caller's context, with the
// attributes above, cachekit.namespace, cachekit.bytes, and an error
// status on failure. The observer learns of an operation when it ends, so
// the span is recorded with its measured start and end timestamps. No key
// and no value is ever an attribute.
package otel
