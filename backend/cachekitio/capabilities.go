package cachekitio

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cachekit-io/cachekit-go/core"
)

// TTL returns the seconds until key's eviction (GET /v1/cache/{key}/ttl):
// found is false for a 404, and a null ttl is core.NoExpiry.
func (b *Backend) TTL(ctx context.Context, key string) (time.Duration, bool, error) {
	const op = "cachekitio.ttl"
	if err := b.checkKey(op, key); err != nil {
		return 0, false, err
	}
	r, err := b.do(ctx, call{op: op, method: http.MethodGet, key: key, sub: "/ttl", idempotent: true})
	if err != nil {
		return 0, false, err
	}
	switch r.status {
	case http.StatusNotFound:
		return 0, false, nil
	case http.StatusOK:
	default:
		return 0, false, b.unexpected(op, key, r)
	}
	var body struct {
		TTL json.RawMessage `json:"ttl"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		return 0, false, &core.Error{Kind: core.KindPermanent, Op: op, Key: key, Msg: "malformed ttl response"}
	}
	raw := string(body.TTL)
	if raw == "" || raw == "null" {
		return core.NoExpiry, true, nil // API-71
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 || n > maxTTLSeconds {
		return 0, false, &core.Error{Kind: core.KindPermanent, Op: op, Key: key, Msg: "malformed ttl response"}
	}
	return time.Duration(n) * time.Second, true, nil
}

// Expire sets key's fresh lifetime to ttl (PATCH /v1/cache/{key}/ttl, whole
// seconds, rounded up). It returns false when the key does not exist. The
// API answers 200 for an absent key too; when the server does not say
// whether it updated the entry, Expire asks with a HEAD. A 409 (the entry
// is stale: store recomputed bytes instead) is a KindPermanent error.
func (b *Backend) Expire(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	const op = "cachekitio.expire"
	if err := b.checkKey(op, key); err != nil {
		return false, err
	}
	if ttl <= 0 {
		return false, &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: "TTL must be positive"}
	}
	secs, err := b.ttlSeconds(op, key, ttl)
	if err != nil {
		return false, err
	}
	r, err := b.do(ctx, call{
		op: op, method: http.MethodPatch, key: key, sub: "/ttl", idempotent: true,
		body: []byte(`{"ttl":` + strconv.FormatInt(secs, 10) + `}`), hasBody: true, contentType: jsonType,
	})
	if err != nil {
		return false, err
	}
	if r.status != http.StatusOK {
		return false, b.unexpected(op, key, r)
	}
	var body struct {
		Updated *bool `json:"updated"`
	}
	if json.Unmarshal(r.body, &body) == nil && body.Updated != nil {
		return *body.Updated, nil
	}
	return b.Exists(ctx, key)
}

// Lock tries once to take key's lock for lease (POST /v1/cache/{key}/lock
// with timeout_ms, rounded up to a millisecond). It is acquired only when
// the 200 response carries a non-empty lock_id; a null or absent lock_id
// (or a legacy 409) is contention: acquired == false, no error. The token is
// the lock_id. Lock is never retried.
func (b *Backend) Lock(ctx context.Context, key string, lease time.Duration) (string, bool, error) {
	const op = "cachekitio.lock"
	if err := b.checkKey(op, key); err != nil {
		return "", false, err
	}
	if lease <= 0 {
		return "", false, &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: "lease must be positive"}
	}
	ms := int64(lease / time.Millisecond)
	if lease%time.Millisecond != 0 {
		ms++
	}
	r, err := b.do(ctx, call{
		op: op, method: http.MethodPost, key: key, sub: "/lock",
		body: []byte(`{"timeout_ms":` + strconv.FormatInt(ms, 10) + `}`), hasBody: true, contentType: jsonType,
	})
	if err != nil {
		return "", false, err
	}
	switch r.status {
	case http.StatusOK:
	case http.StatusConflict:
		return "", false, nil
	default:
		return "", false, b.unexpected(op, key, r)
	}
	var body struct {
		LockID *string `json:"lock_id"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		return "", false, &core.Error{Kind: core.KindPermanent, Op: op, Key: key, Msg: "malformed lock response"}
	}
	if body.LockID == nil || strings.TrimSpace(*body.LockID) == "" {
		return "", false, nil
	}
	return *body.LockID, true, nil
}

// Unlock releases key's lock if token holds it (DELETE
// /v1/cache/{key}/lock). The token travels in the X-CacheKit-Lock-Id header,
// never in the URL. An empty token releases nothing and sends nothing.
func (b *Backend) Unlock(ctx context.Context, key, token string) (bool, error) {
	const op = "cachekitio.unlock"
	if err := b.checkKey(op, key); err != nil {
		return false, err
	}
	if strings.TrimSpace(token) == "" {
		return false, nil
	}
	if strings.ContainsAny(token, "\r\n\x00") {
		return false, &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: "lock token contains control characters"}
	}
	r, err := b.do(ctx, call{
		op: op, method: http.MethodDelete, key: key, sub: "/lock", idempotent: true,
		lockID: []string{token},
	})
	if err != nil {
		return false, err
	}
	switch r.status {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusConflict:
		return false, nil
	default:
		return false, b.unexpected(op, key, r)
	}
	var body struct {
		Released *bool `json:"released"`
	}
	if json.Unmarshal(r.body, &body) == nil && body.Released != nil {
		return *body.Released, nil
	}
	return true, nil
}
