package cachekitio

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/cachekit-io/cachekit-go/core"
)

// statusKind maps an HTTP status to an error kind (saas-api.md, Error
// Classification): 401/403 auth; 408/429/5xx transient; 413 payload too
// large; 400 invalid input; other 4xx permanent.
func statusKind(status int) core.Kind {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return core.KindAuth
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return core.KindTransient
	case status == http.StatusRequestEntityTooLarge:
		return core.KindPayloadTooLarge
	case status == http.StatusBadRequest:
		return core.KindInvalidInput
	}
	return core.KindPermanent
}

func (b *Backend) statusError(op, key string, res *http.Response, body []byte) error {
	msg := "HTTP " + strconv.Itoa(res.StatusCode)
	switch res.StatusCode {
	case http.StatusRequestEntityTooLarge:
		msg += ": value too large"
	case http.StatusConflict:
		msg += ": entry is stale; store recomputed bytes with Set"
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		// Redact, then cut, then redact again: the cut must not leave the
		// first bytes of a key that the first pass would have caught whole.
		detail := b.redact(e.Error)
		if len(detail) > maxErrorDetail {
			detail = b.redact(detail[:maxErrorDetail])
		}
		msg += ": " + strings.ToValidUTF8(detail, "?")
	}
	return &core.Error{Kind: statusKind(res.StatusCode), Op: op, Key: key, Msg: b.redact(msg)}
}
