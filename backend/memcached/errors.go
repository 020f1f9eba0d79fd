package memcached

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/cachekit-io/cachekit-go/core"
)

// errClosed is the cause of calls made after Close.
var errClosed = errors.New("backend is closed")

// invalid is a KindInvalidInput error.
func invalid(op, key, msg string) *core.Error {
	return &core.Error{Kind: core.KindInvalidInput, Op: op, Key: key, Msg: msg}
}

// configErr is a KindConfig error.
func configErr(msg string) *core.Error {
	return &core.Error{Kind: core.KindConfig, Op: "memcached.new", Msg: msg}
}

// classify returns err as a *core.Error for op and key. When ctx is done by
// the time the call failed, the context decides the kind.
func classify(ctx context.Context, op, key string, err error) error {
	kind := kindOf(err)
	if k := core.ContextKind(ctx.Err()); k != core.KindUnknown {
		kind = k
		if !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w: %w", ctx.Err(), err)
		}
	}
	return &core.Error{Kind: kind, Op: op, Key: key, Err: err}
}

// kindOf classifies an error from gomemcache, the network or a context.
func kindOf(err error) core.Kind {
	var cte *memcache.ConnectTimeoutError
	var ne net.Error
	var op *net.OpError
	switch {
	case err == nil:
		return core.KindUnknown
	case errors.Is(err, context.Canceled):
		return core.KindCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &cte):
		return core.KindTimeout
	case errors.Is(err, errClosed), errors.Is(err, memcache.ErrMalformedKey):
		return core.KindPermanent
	case errors.Is(err, memcache.ErrNoServers):
		return core.KindConfig
	case errors.As(err, &ne) && ne.Timeout():
		return core.KindTimeout
	case errors.As(err, &op), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return core.KindTransient
	}
	// gomemcache reports server replies it does not know as text.
	msg := err.Error()
	switch {
	case strings.Contains(msg, "object too large"), strings.Contains(msg, "too large for cache"):
		return core.KindPayloadTooLarge
	case strings.Contains(msg, "out of memory"):
		return core.KindBackpressure
	case errors.Is(err, memcache.ErrServerError), strings.Contains(msg, "SERVER_ERROR"):
		return core.KindTransient
	}
	return core.KindPermanent
}
