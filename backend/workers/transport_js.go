//go:build js && wasm

package workers

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall/js"

	"github.com/cachekit-io/cachekit-go/backend/workers/internal/jsutil"
	"github.com/cachekit-io/cachekit-go/core"
)

var (
	jsGlobal          = js.Global()
	jsObject          = jsGlobal.Get("Object")
	jsAbortController = jsGlobal.Get("AbortController")
)

// certCodes are the certificate failures Node reports in a fetch error's
// cause.code: a configuration problem (an untrusted CA, a wrong name), not a
// network hiccup.
var certCodes = map[string]bool{
	"UNABLE_TO_VERIFY_LEAF_SIGNATURE":   true,
	"UNABLE_TO_GET_ISSUER_CERT_LOCALLY": true,
	"SELF_SIGNED_CERT_IN_CHAIN":         true,
	"DEPTH_ZERO_SELF_SIGNED_CERT":       true,
	"CERT_HAS_EXPIRED":                  true,
	"CERT_NOT_YET_VALID":                true,
	"ERR_TLS_CERT_ALTNAME_INVALID":      true,
}

// RoundTrip sends req with fetch and returns the response once its headers
// have arrived; the body streams. See Transport.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req == nil || req.URL == nil {
		closeBody(req)
		return nil, &core.Error{Kind: core.KindInvalidInput, Op: op, Msg: "request without a URL"}
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		closeBody(req)
		return nil, ctxError(ctx, req)
	}
	if jsGlobal.Get("fetch").Type() != js.TypeFunction || jsAbortController.Type() != js.TypeFunction {
		closeBody(req)
		return nil, &core.Error{Kind: core.KindConfig, Op: op, Msg: "this JavaScript host has no fetch or AbortController"}
	}
	body, err := t.readBody(req)
	if err != nil {
		return nil, err
	}
	headers, err := jsutil.HeadersToJS(req.Header)
	if err != nil {
		return nil, invalid(req, err)
	}

	var ac, fetched js.Value
	err = jsutil.Catch(func() {
		ac = jsAbortController.New()
		init := jsObject.New()
		init.Set("method", req.Method)
		init.Set("headers", headers)
		init.Set("redirect", "manual")
		init.Set("signal", ac.Get("signal"))
		if len(body) > 0 {
			init.Set("body", jsutil.BytesToJS(body))
		}
		// Called on the global object: workerd throws "Illegal invocation"
		// for fetch with any other receiver.
		fetched = jsGlobal.Call("fetch", req.URL.String(), init)
	})
	if err != nil {
		return nil, invalid(req, err)
	}

	// Abort the exchange when the context ends, until the body is done.
	done := make(chan struct{})
	var once sync.Once
	finish := func() { once.Do(func() { close(done) }) }
	go func() {
		select {
		case <-ctx.Done():
			_ = jsutil.Catch(func() { ac.Call("abort") })
		case <-done:
		}
	}()

	v, err := jsutil.Await(fetched)
	if err != nil {
		finish()
		return nil, fail(ctx, req, err)
	}
	res, err := t.response(ctx, req, v, finish)
	if err != nil {
		_ = jsutil.Catch(func() { ac.Call("abort") }) // drop the body
		finish()
		return nil, err
	}
	return res, nil
}

// readBody reads and closes the request body, at most MaxRequestBytes.
func (t *Transport) readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		closeBody(req)
		return nil, nil
	}
	defer closeBody(req)
	max := t.maxRequest()
	if req.ContentLength > max {
		return nil, tooLarge("request body", max)
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, max+1))
	if err != nil {
		if ctx := req.Context(); ctx.Err() != nil {
			return nil, ctxError(ctx, req)
		}
		return nil, &core.Error{Kind: core.KindPermanent, Op: op, Msg: describe(req) + ": reading the request body", Err: err}
	}
	if int64(len(b)) > max {
		return nil, tooLarge("request body", max)
	}
	return b, nil
}

// response converts a fetch Response.
func (t *Transport) response(ctx context.Context, req *http.Request, v js.Value, finish func()) (*http.Response, error) {
	var (
		status  int
		headers js.Value
		stream  js.Value
	)
	if err := jsutil.Catch(func() {
		status = v.Get("status").Int()
		headers = v.Get("headers")
		stream = v.Get("body")
	}); err != nil {
		return nil, fail(ctx, req, err)
	}
	h, err := jsutil.HeadersFromJS(headers)
	if err != nil {
		return nil, fail(ctx, req, err)
	}
	res := &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		ContentLength: -1,
		Body:          http.NoBody,
		Request:       req,
	}
	if cl := h.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			res.ContentLength = n
		}
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Encoding"))) {
	case "gzip", "x-gzip", "deflate", "br":
		// fetch has decoded the body: the length on the wire is not the
		// length read.
		h.Del("Content-Encoding")
		h.Del("Content-Length")
		res.ContentLength = -1
		res.Uncompressed = true
	}
	if stream.Type() != js.TypeObject || req.Method == http.MethodHead {
		finish()
		if req.Method != http.MethodHead && res.ContentLength < 0 {
			res.ContentLength = 0
		}
		return res, nil
	}
	sr, err := jsutil.NewStreamReader(stream)
	if err != nil {
		return nil, fail(ctx, req, err)
	}
	res.Body = &fetchBody{r: sr, ctx: ctx, req: req, max: t.MaxResponseBytes, finish: finish}
	return res, nil
}

// fetchBody is a response body: the stream, bounded, with errors
// classified, and the abort watcher stopped at the end.
type fetchBody struct {
	r      *jsutil.StreamReader
	ctx    context.Context
	req    *http.Request
	max    int64 // 0: unbounded
	n      int64
	err    error
	finish func()
}

func (b *fetchBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.max > 0 && int64(len(p)) > b.max-b.n+1 {
		p = p[:b.max-b.n+1] // one byte past the bound tells whether there is more
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.max > 0 && b.n > b.max {
		b.err = tooLarge("response body", b.max)
		b.r.Close()
		b.finish()
		return n - 1, b.err
	}
	switch {
	case err == nil:
	case err == io.EOF:
		b.err = io.EOF
		b.finish()
	case errors.Is(err, jsutil.ErrClosed):
		b.err = errClosed
		b.finish()
	default:
		b.err = fail(b.ctx, b.req, err)
		b.finish()
	}
	return n, b.err
}

// errClosed is what Read returns after Close, as net/http does.
var errClosed = errors.New("http: read on closed response body")

func (b *fetchBody) Close() error {
	if b.err == nil {
		b.err = errClosed
	}
	b.r.Close()
	b.finish()
	return nil
}

// ctxError is the error for a request whose context has ended.
func ctxError(ctx context.Context, req *http.Request) error {
	err := ctx.Err()
	return &core.Error{Kind: core.ContextKind(err), Op: op, Msg: describe(req), Err: err}
}

// invalid is the error for a request fetch refuses synchronously.
func invalid(req *http.Request, err error) error {
	return &core.Error{Kind: core.KindInvalidInput, Op: op, Msg: describe(req) + ": fetch refused the request", Err: scrubbed(req, err)}
}

// fail classifies a failed fetch or body read.
func fail(ctx context.Context, req *http.Request, err error) error {
	if ctx.Err() != nil {
		return ctxError(ctx, req)
	}
	kind := core.KindTransient
	var rj *jsutil.Rejection
	if errors.As(err, &rj) {
		switch {
		case rj.Name == "TimeoutError":
			kind = core.KindTimeout
		case certCodes[rj.Code]:
			kind = core.KindConfig
		}
	}
	return &core.Error{Kind: kind, Op: op, Msg: describe(req) + ": fetch failed", Err: scrubbed(req, err)}
}

// scrubbed returns err, a runtime's error about req, without req's user
// information, query or fragment in its text (see scrubURL): the runtime
// quotes the URL it was given. A *jsutil.Rejection stays one, Name and Code
// kept; another error whose text changes becomes a plain error with the
// scrubbed text.
func scrubbed(req *http.Request, err error) error {
	if err == nil {
		return nil
	}
	var u *url.URL
	if req != nil {
		u = req.URL
	}
	if rj, ok := err.(*jsutil.Rejection); ok {
		if msg := scrubURL(u, rj.Msg); msg != rj.Msg {
			return &jsutil.Rejection{Name: rj.Name, Code: rj.Code, Msg: msg}
		}
		return err
	}
	if msg := scrubURL(u, err.Error()); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}

func (t *Transport) maxRequest() int64 {
	if t == nil || t.MaxRequestBytes <= 0 {
		return DefaultMaxRequestBytes
	}
	return t.MaxRequestBytes
}

// describe names a request in errors: the method and the URL without user
// information, query or fragment (which may carry credentials).
func describe(req *http.Request) string {
	if req == nil || req.URL == nil {
		return "request without a URL"
	}
	u := url.URL{Scheme: req.URL.Scheme, Host: req.URL.Host, Path: req.URL.Path, RawPath: req.URL.RawPath}
	return req.Method + " " + u.String()
}

func tooLarge(what string, max int64) error {
	return &core.Error{Kind: core.KindPayloadTooLarge, Op: op, Msg: what + " exceeds " + strconv.FormatInt(max, 10) + " bytes"}
}
