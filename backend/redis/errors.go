package redis

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/cachekit-io/cachekit-go/core"
	goredis "github.com/redis/go-redis/v9"
)

// errClosed is the cause of calls made after Close.
var errClosed = errors.New("backend is closed")

// classify returns err as a *core.Error for op and key, with its kind and
// with the backend's secrets scrubbed from its message. When ctx is done by
// the time the call failed, the context decides the kind (canceled or
// timeout): go-redis notices a cancellation only at its next socket
// deadline, and reports that as an I/O timeout.
func (b *Backend) classify(ctx context.Context, op, key string, err error) error {
	b.stats.errors.Add(1)
	kind := kindOf(err)
	if k := core.ContextKind(ctx.Err()); k != core.KindUnknown {
		kind = k
		if !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w: %w", ctx.Err(), err)
		}
	}
	return &core.Error{Kind: kind, Op: op, Key: key, Err: scrubbed(err, b.secrets)}
}

// kindOf classifies an error from go-redis, the network or a context.
func kindOf(err error) core.Kind {
	switch {
	case err == nil:
		return core.KindUnknown
	case errors.Is(err, context.Canceled):
		return core.KindCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, goredis.ErrPoolTimeout):
		return core.KindTimeout
	case errors.Is(err, goredis.ErrClosed), errors.Is(err, errClosed):
		return core.KindPermanent
	}
	var rerr goredis.Error
	if errors.As(err, &rerr) {
		return replyKind(rerr.Error())
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return core.KindTimeout
	}
	var (
		uae     x509.UnknownAuthorityError
		hne     x509.HostnameError
		cie     x509.CertificateInvalidError
		rhe     tls.RecordHeaderError
		certErr *tls.CertificateVerificationError
	)
	if errors.As(err, &uae) || errors.As(err, &hne) || errors.As(err, &cie) ||
		errors.As(err, &certErr) || errors.As(err, &rhe) {
		// TLS misconfiguration: retrying will not help.
		return core.KindPermanent
	}
	var op *net.OpError
	var dns *net.DNSError
	if errors.As(err, &op) || errors.As(err, &dns) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) {
		return core.KindTransient
	}
	// go-redis wraps some failures in plain strings.
	msg := err.Error()
	switch {
	case strings.Contains(msg, "i/o timeout"), strings.Contains(msg, "timeout"):
		return core.KindTimeout
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "connection reset"),
		strings.Contains(msg, "broken pipe"), strings.Contains(msg, "EOF"),
		strings.Contains(msg, "no such host"), strings.Contains(msg, "failed to dial"):
		return core.KindTransient
	}
	return core.KindPermanent
}

// replyKind classifies an error reply of the server.
func replyKind(msg string) core.Kind {
	code, _, _ := strings.Cut(strings.TrimPrefix(msg, "ERR "), " ")
	switch code {
	case "NOAUTH", "WRONGPASS", "NOPERM":
		return core.KindAuth
	case "LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY",
		"NOREPLICAS", "MOVED", "ASK", "UNBLOCKED":
		return core.KindTransient
	case "OOM":
		return core.KindBackpressure
	}
	switch {
	case strings.HasPrefix(msg, "ERR max number of clients reached"):
		return core.KindTransient
	case strings.HasPrefix(msg, "ERR AUTH"), strings.Contains(msg, "invalid password"),
		strings.Contains(msg, "invalid username-password"):
		return core.KindAuth
	}
	return core.KindPermanent
}

// scrubbed returns err, or when its message holds one of secrets or a URL
// password, an error that reads the same with them redacted and still
// unwraps to err (so errors.Is and errors.As see the original chain).
func scrubbed(err error, secrets []core.Secret) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := redactText(msg)
	for _, s := range secrets {
		if v := s.Reveal(); v != "" {
			clean = strings.ReplaceAll(clean, v, redacted)
		}
	}
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
