//go:build js && wasm

package worker

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"syscall/js"

	"github.com/cachekit-io/cachekit-go/backend/workers/internal/jsutil"
	"github.com/cachekit-io/cachekit-go/core"
)

var (
	jsGlobal   = js.Global()
	jsResponse = jsGlobal.Get("Response")
	jsObject   = jsGlobal.Get("Object")
)

// Serve hands h to the Worker shim and then serves requests for the life of
// the isolate: it never returns once it has the shim. It returns a
// *core.Error of KindConfig when h is nil or the program is not running
// under the shim (globalThis.__cachekitGoServe is missing).
func Serve(h http.Handler) error {
	if h == nil {
		return &core.Error{Kind: core.KindConfig, Op: op, Msg: "nil handler"}
	}
	ready := jsGlobal.Get(serveHook)
	if ready.Type() != js.TypeFunction {
		return &core.Error{Kind: core.KindConfig, Op: op,
			Msg: "not running under the worker shim (globalThis." + serveHook + " is missing)"}
	}
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 2 {
			return nil
		}
		// Never block here: this runs on the event loop.
		go serveOne(h, args[0], args[1])
		return nil
	})
	jsGlobal.Delete(serveHook)
	if err := jsutil.Catch(func() { ready.Invoke(fn) }); err != nil {
		fn.Release()
		return &core.Error{Kind: core.KindConfig, Op: op, Msg: "the worker shim refused the handler", Err: err}
	}
	select {} // the isolate's lifetime
}

// serveOne serves one request and resolves its promise with a Response.
func serveOne(h http.Handler, jreq, respond js.Value) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, release, err := newRequest(ctx, jreq)
	if err != nil {
		resolve(respond, textResponse(http.StatusBadRequest, "bad request"))
		return
	}
	defer release()
	w := &responseWriter{header: http.Header{}}
	if !run(h, w, r) {
		w = &responseWriter{header: http.Header{}}
		w.header.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.body.WriteString("internal server error\n")
	}
	res, err := w.toJS(r.Method)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker: building the response:", err)
		res = textResponse(http.StatusInternalServerError, "internal server error")
	}
	resolve(respond, res)
}

// run calls the handler; a panic is logged (like net/http does, without
// request data) and reported as false.
func run(h http.Handler, w http.ResponseWriter, r *http.Request) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			ok = false
			if p != http.ErrAbortHandler {
				fmt.Fprintf(os.Stderr, "worker: panic serving %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
			}
		}
	}()
	h.ServeHTTP(w, r)
	return true
}

func resolve(respond, res js.Value) {
	_ = jsutil.Catch(func() { respond.Invoke(res) })
}

// newRequest converts a JavaScript Request. release frees what it holds.
func newRequest(ctx context.Context, jreq js.Value) (*http.Request, func(), error) {
	var method, rawURL string
	var headers, body, signal js.Value
	if err := jsutil.Catch(func() {
		method = jreq.Get("method").String()
		rawURL = jreq.Get("url").String()
		headers = jreq.Get("headers")
		body = jreq.Get("body")
		signal = jreq.Get("signal")
	}); err != nil {
		return nil, nil, err
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	h, err := jsutil.HeadersFromJS(headers)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	release := cancel
	if signal.Type() == js.TypeObject && signal.Get("addEventListener").Type() == js.TypeFunction {
		// The client went away: cancel the handler's context.
		onAbort := js.FuncOf(func(js.Value, []js.Value) any { cancel(); return nil })
		if jsutil.Catch(func() { signal.Call("addEventListener", "abort", onAbort) }) == nil {
			release = func() {
				cancel()
				_ = jsutil.Catch(func() { signal.Call("removeEventListener", "abort", onAbort) })
				onAbort.Release()
			}
		} else {
			onAbort.Release()
		}
	}
	host := u.Host
	if hh := h.Get("Host"); hh != "" {
		host = hh // as net/http does, the Host field, not a header
	}
	h.Del("Host")
	r := &http.Request{
		Method:     method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Body:       http.NoBody,
		Host:       host,
		RequestURI: u.RequestURI(),
		RemoteAddr: h.Get("Cf-Connecting-Ip"),
	}
	if cl := h.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			r.ContentLength = n
		}
	}
	if body.Type() == js.TypeObject {
		sr, err := jsutil.NewStreamReader(body)
		if err != nil {
			release()
			return nil, nil, err
		}
		r.Body = sr
		if h.Get("Content-Length") == "" {
			r.ContentLength = -1
		}
	}
	return r.WithContext(ctx), release, nil
}

// responseWriter buffers the response: a Worker's Response is built once
// the handler has returned.
type responseWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 100 && code <= 999 {
		if code < 200 { // informational responses cannot be sent from a Worker
			return
		}
		w.status = code
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.body.Write(p)
}

// toJS builds the Response. Like net/http, it sniffs a Content-Type for a
// body without one.
func (w *responseWriter) toJS(method string) (js.Value, error) {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	if _, ok := w.header["Content-Type"]; !ok && w.body.Len() > 0 {
		w.header.Set("Content-Type", http.DetectContentType(w.body.Bytes()))
	}
	headers, err := jsutil.HeadersToJS(w.header)
	if err != nil {
		return js.Value{}, err
	}
	var res js.Value
	err = jsutil.Catch(func() {
		init := jsObject.New()
		init.Set("status", status)
		init.Set("headers", headers)
		body := js.Null()
		switch {
		case method == http.MethodHead, status == 204, status == 205, status == 304:
		default:
			body = jsutil.BytesToJS(w.body.Bytes())
		}
		res = jsResponse.New(body, init)
	})
	return res, err
}

func textResponse(status int, msg string) js.Value {
	var res js.Value
	_ = jsutil.Catch(func() {
		init := jsObject.New()
		init.Set("status", status)
		res = jsResponse.New(msg, init)
	})
	return res
}

// serveHook is the global function the shim defines and Serve calls with
// the request handler.
const serveHook = "__cachekitGoServe"
