//go:build js && wasm

package jsutil

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall/js"
)

var (
	global     = js.Global()
	uint8Array = global.Get("Uint8Array")
	headersCtr = global.Get("Headers")
)

// Rejection is a promise rejection or a thrown exception: the JavaScript
// value and a message made from its name, message and cause.
type Rejection struct {
	// Name is the error's name ("TypeError", "AbortError", …), or "" when
	// the thrown value is not an Error.
	Name string
	// Code is the cause's code (Node sets "ECONNREFUSED",
	// "UNABLE_TO_VERIFY_LEAF_SIGNATURE", …), or "".
	Code string
	// Msg is the error's text, with its cause's text appended.
	Msg string
}

// Error returns Msg.
func (r *Rejection) Error() string { return r.Msg }

// NewRejection describes the JavaScript value v that was thrown or
// rejected.
func NewRejection(v js.Value) *Rejection {
	r := &Rejection{}
	if v.Type() != js.TypeObject {
		r.Msg = safeString(v)
		return r
	}
	if n := v.Get("name"); n.Type() == js.TypeString {
		r.Name = n.String()
	}
	r.Msg = safeString(v)
	if c := v.Get("cause"); c.Type() == js.TypeObject || c.Type() == js.TypeString {
		r.Msg += ": " + safeString(c)
		if c.Type() == js.TypeObject {
			if code := c.Get("code"); code.Type() == js.TypeString {
				r.Code = code.String()
			}
		}
	}
	return r
}

// safeString renders v with String(v), which never throws for errors and
// primitives; anything that throws is "unprintable value".
func safeString(v js.Value) (s string) {
	defer func() {
		if recover() != nil {
			s = "unprintable value"
		}
	}()
	return global.Call("String", v).String()
}

// Catch runs f and returns the exception it throws as a *Rejection, so that
// a JavaScript TypeError (a bad header name, say) never becomes a Go panic.
// Panics that are not JavaScript exceptions propagate.
func Catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			var je js.Error
			if e, ok := r.(error); ok && errors.As(e, &je) {
				err = NewRejection(je.Value)
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}

// Await blocks the calling goroutine until p settles and returns its value,
// or its rejection as a *Rejection. It must not be called from inside a
// js.FuncOf callback (the event loop would wait for itself); call it from a
// goroutine. A value that is not a thenable is returned as is.
func Await(p js.Value) (js.Value, error) {
	if p.Type() != js.TypeObject || p.Get("then").Type() != js.TypeFunction {
		return p, nil
	}
	type settled struct {
		v  js.Value
		ok bool
	}
	ch := make(chan settled, 1)
	arg := func(args []js.Value) js.Value {
		if len(args) == 0 {
			return js.Undefined()
		}
		return args[0]
	}
	onOK := js.FuncOf(func(_ js.Value, args []js.Value) any { ch <- settled{arg(args), true}; return nil })
	onErr := js.FuncOf(func(_ js.Value, args []js.Value) any { ch <- settled{arg(args), false}; return nil })
	defer onOK.Release()
	defer onErr.Release()
	if err := Catch(func() { p.Call("then", onOK, onErr) }); err != nil {
		return js.Undefined(), err
	}
	s := <-ch
	if !s.ok {
		return js.Undefined(), NewRejection(s.v)
	}
	return s.v, nil
}

// BytesToJS copies b into a new Uint8Array.
func BytesToJS(b []byte) js.Value {
	a := uint8Array.New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}

// BytesFromJS copies a Uint8Array (or an ArrayBuffer) into a new slice.
func BytesFromJS(v js.Value) []byte {
	if !v.InstanceOf(uint8Array) {
		v = uint8Array.New(v)
	}
	b := make([]byte, v.Get("byteLength").Int())
	js.CopyBytesToGo(b, v)
	return b
}

// HeadersFromJS converts a Headers object into an http.Header with
// canonical keys. Headers joins repeated fields with ", " (except
// Set-Cookie, which it keeps apart).
func HeadersFromJS(h js.Value) (http.Header, error) {
	out := http.Header{}
	err := Catch(func() {
		it := h.Call("entries")
		for {
			n := it.Call("next")
			if n.Get("done").Bool() {
				return
			}
			pair := n.Get("value")
			k := http.CanonicalHeaderKey(pair.Index(0).String())
			out[k] = append(out[k], pair.Index(1).String())
		}
	})
	return out, err
}

// hopByHop are the fields fetch sets itself or refuses: connection
// management and framing belong to the runtime's HTTP stack.
var hopByHop = map[string]bool{
	"Host": true, "Content-Length": true, "Connection": true, "Keep-Alive": true,
	"Proxy-Connection": true, "Transfer-Encoding": true, "Te": true, "Trailer": true,
	"Upgrade": true,
}

// HeadersToJS builds a Headers object from h, leaving out the
// connection-level fields fetch manages itself. An invalid name or value
// is an error, not a panic: a *Rejection that names the field when its
// name is valid, and never quotes a value (the runtime's own message
// does, and a value may be a credential).
func HeadersToJS(h http.Header) (js.Value, error) {
	var out js.Value
	field := "" // the field being appended
	err := Catch(func() {
		out = headersCtr.New()
		for k, vs := range h {
			if hopByHop[http.CanonicalHeaderKey(k)] {
				continue
			}
			field = k
			for _, v := range vs {
				out.Call("append", k, v)
			}
		}
	})
	if err == nil || field == "" {
		return out, err
	}
	r := &Rejection{Name: "TypeError"}
	var rj *Rejection
	if errors.As(err, &rj) {
		r.Name, r.Code = rj.Name, rj.Code
	}
	if validFieldName(field) {
		r.Msg = r.Name + ": header field " + strconv.Quote(field) + ": invalid name or value (the value is not shown)"
	} else {
		r.Msg = r.Name + ": invalid header field name"
	}
	return out, r
}

// validFieldName reports whether name is an HTTP field name (RFC 9110
// token). Only such a name is quoted in an error.
func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// StreamReader reads a ReadableStream's default reader as an io.Reader,
// one chunk per promise. Read blocks the calling goroutine; Close cancels
// the stream. It is not safe for concurrent Reads.
type StreamReader struct {
	reader  js.Value // ReadableStreamDefaultReader
	pending []byte
	err     error
	closed  bool
}

// NewStreamReader returns a reader over stream (a ReadableStream).
func NewStreamReader(stream js.Value) (*StreamReader, error) {
	var r js.Value
	if err := Catch(func() { r = stream.Call("getReader") }); err != nil {
		return nil, err
	}
	return &StreamReader{reader: r}, nil
}

// ErrClosed is returned by Read after Close.
var ErrClosed = errors.New("read of a closed body")

// Read implements io.Reader. A rejected read returns its *Rejection.
func (r *StreamReader) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		var pr js.Value
		if err := Catch(func() { pr = r.reader.Call("read") }); err != nil {
			r.err = err
			return 0, err
		}
		v, err := Await(pr)
		switch {
		case r.closed:
			r.err = ErrClosed
		case err != nil:
			r.err = err
		case v.Get("done").Bool():
			r.err = io.EOF
		default:
			r.pending = BytesFromJS(v.Get("value"))
		}
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// Close cancels the stream; later Reads return ErrClosed. Close never
// fails and may be called more than once.
func (r *StreamReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.pending = nil
	if r.err == nil {
		r.err = ErrClosed
		_ = Catch(func() {
			if p := r.reader.Call("cancel"); p.Type() == js.TypeObject {
				// A rejected cancel must not surface as an unhandled
				// rejection in the host.
				p.Call("catch", ignore)
			}
		})
	}
	return nil
}

// ignore is a callback that does nothing, for promises whose outcome does
// not matter.
var ignore = js.FuncOf(func(js.Value, []js.Value) any { return nil })
