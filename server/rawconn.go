package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxRecordedHead is how much of a request's head (request line and
// header fields) a wrapped connection keeps, to answer a request net/http
// refused to parse.
const maxRecordedHead = 64 << 10

// earlyErrorHeaders follows the status line of every answer net/http's
// server writes itself when it cannot parse a request (conn.serve in
// net/http/server.go): a malformed request line or target (bad
// percent-encoding in the path, a control byte), malformed or oversized
// header fields (400, 431), an unsupported transfer coding (501) or
// protocol version (505).
const earlyErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// authTimeout bounds the key lookup made for an early error.
const authTimeout = 5 * time.Second

// WrapListener returns a listener whose connections let s answer the
// requests net/http's server rejects before any handler runs — a request
// target that does not parse as a URL (GET /v1/cache/bad%zzkey), malformed
// or oversized header fields, an unsupported protocol version or transfer
// coding, an Expect other than 100-continue — the way the API answers
// everything else: with API-2's Cache-Control: no-store and Vary:
// Authorization, a JSON error body, and the authentication outcome first
// (401, or 503 for a key-store fault, before the request's own error).
//
// Serve HTTP/1.1 on it with http.Server.Serve. It must see the plain
// bytes: for TLS wrap a tls.NewListener (whose connections net/http then
// serves as HTTP/1.1 only), not the TCP listener below it.
//
// The head of the refused request is read from the bytes received since
// the last response on the connection; a request pipelined behind another
// has none of its own there, and is answered as unauthenticated. The
// handler marks the connection while it answers (found by the request's
// local and remote address), so that no response body is taken for one of
// net/http's answers; connections whose two addresses another open one
// shares (unnamed Unix socket peers) are passed through unchanged.
func (s *Server) WrapListener(ln net.Listener) net.Listener {
	return &apiListener{Listener: ln, s: s}
}

// connKey names a connection by its two ends, as a request sees them.
func connKey(local, remote string) string { return local + "|" + remote }

// dispatch marks r's connection, when WrapListener accepted it, as
// answering r through the handler, and returns the function that ends
// that once the response is flushed. net/http writes its own error
// answers only between requests, so a write made while a request is
// dispatched is never one (a response body may hold the same bytes).
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) func() {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return func() {}
	}
	v, ok := s.conns.Load(connKey(local.String(), r.RemoteAddr))
	if !ok {
		return func() {}
	}
	c := v.(*apiConn)
	if c.shared.Load() {
		return func() {}
	}
	c.dispatched.Store(true)
	return func() {
		// Flush here, not after ServeHTTP returns, so that all of the
		// response is written while the mark holds.
		_ = http.NewResponseController(w).Flush()
		c.dispatched.Store(false)
	}
}

type apiListener struct {
	net.Listener
	s *Server
}

func (l *apiListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	ac := &apiConn{Conn: c, s: l.s, key: connKey(c.LocalAddr().String(), c.RemoteAddr().String())}
	if v, loaded := l.s.conns.LoadOrStore(ac.key, ac); loaded {
		// Two open connections with the same ends (a Unix socket's
		// unnamed peers): requests cannot tell them apart, so neither
		// rewrites anything.
		v.(*apiConn).shared.Store(true)
		ac.shared.Store(true)
	}
	return ac, nil
}

// apiConn records the head of the request being read and rewrites
// net/http's own error answers.
type apiConn struct {
	net.Conn
	s   *Server
	key string // in s.conns

	dispatched atomic.Bool // the handler is answering a request on it
	shared     atomic.Bool // another open connection has the same key: never rewrite
	closeOnce  sync.Once

	mu       sync.Mutex
	head     []byte // the current request's head, as received
	headDone bool   // head holds the blank line ending the header fields, or maxRecordedHead bytes
	wrote    bool   // a response was written since head was recorded
}

func (c *apiConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		if c.wrote { // a new request begins after a response
			c.head, c.headDone, c.wrote = c.head[:0], false, false
		}
		if !c.headDone {
			from := max(0, len(c.head)-3)
			c.head = append(c.head, p[:min(n, maxRecordedHead-len(c.head))]...)
			if i := bytes.Index(c.head[from:], []byte("\r\n\r\n")); i >= 0 {
				c.head, c.headDone = c.head[:from+i+4], true
			} else if i := bytes.Index(c.head[from:], []byte("\n\n")); i >= 0 {
				c.head, c.headDone = c.head[:from+i+2], true
			} else if len(c.head) >= maxRecordedHead {
				c.headDone = true
			}
		}
		c.mu.Unlock()
	}
	return n, err
}

// Close implements net.Conn.
func (c *apiConn) Close() error {
	c.closeOnce.Do(func() { c.s.conns.CompareAndDelete(c.key, c) })
	return c.Conn.Close()
}

func (c *apiConn) Write(p []byte) (int, error) {
	if status, text, ok := parseEarlyError(p); ok && !c.dispatched.Load() && !c.shared.Load() {
		c.mu.Lock()
		var head []byte
		if !c.wrote {
			head = bytes.Clone(c.head)
		}
		c.mu.Unlock()
		if _, err := c.Conn.Write(c.s.earlyAnswer(status, text, head)); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	c.mu.Lock()
	c.wrote = true
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// parseEarlyError recognises an answer net/http wrote without the handler:
// its fixed error format, or a 417 (Expect other than 100-continue; this
// server's handler never answers 417). It returns the status and the
// text net/http gave.
func parseEarlyError(p []byte) (int, string, bool) {
	rest, ok := bytes.CutPrefix(p, []byte("HTTP/1.1 "))
	if !ok || len(rest) < 4 || rest[3] != ' ' {
		return 0, "", false
	}
	code, err := strconv.Atoi(string(rest[:3]))
	if err != nil {
		return 0, "", false
	}
	if code == http.StatusExpectationFailed {
		return code, "", true
	}
	line, _, ok := bytes.Cut(rest, []byte(earlyErrorHeaders))
	if !ok || bytes.ContainsAny(line, "\r\n") {
		return 0, "", false
	}
	_, text, _ := strings.Cut(string(line[4:]), ": ")
	return code, text, true
}

// earlyAnswer is the API's answer to a request net/http refused with
// status: the authentication outcome first, then status, each with API-2's
// headers and a JSON error body. head is the request's head as received
// (possibly cut short, or nil when unknown).
func (s *Server) earlyAnswer(status int, text string, head []byte) []byte {
	method, r := parseHead(head)
	h := http.Header{}
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Authorization")
	msg := "malformed request"
	if text != "" {
		msg = "malformed request: " + text
	}
	if status == http.StatusExpectationFailed {
		msg = "only Expect: 100-continue is supported"
	}
	s.cors.apply(h, r, method == http.MethodOptions)
	if method == http.MethodOptions { // preflight: 204 before authentication
		status, msg = http.StatusNoContent, ""
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), authTimeout)
		_, st, m := s.authenticate(r.WithContext(ctx))
		cancel()
		switch st {
		case http.StatusUnauthorized:
			h.Set("WWW-Authenticate", `Bearer realm="cachekit"`)
			status, msg = st, m
		case http.StatusServiceUnavailable:
			h.Set("Retry-After", "1")
			status, msg = st, m
		}
	}
	var body []byte
	if status != http.StatusNoContent {
		b, err := json.Marshal(map[string]any{"error": msg})
		if err != nil {
			b = []byte(`{"error":"internal error"}`)
		}
		body = append(b, '\n')
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	h.Set("Connection", "close")
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "request",
		slog.String("method", method),
		slog.String("route", "malformed"),
		slog.Int("status", status),
	)
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	_ = h.Write(&b)
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// parseHead reads a request's method and header fields leniently from its
// raw head (request line, header lines). Lines that are not "name: value"
// are skipped; a truncated head yields the fields it holds.
func parseHead(head []byte) (string, *http.Request) {
	r := &http.Request{Header: http.Header{}}
	lines := strings.Split(string(head), "\n")
	method, _, _ := strings.Cut(strings.TrimRight(lines[0], "\r"), " ")
	for _, l := range lines[1:] {
		l = strings.TrimRight(l, "\r")
		if l == "" {
			break
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			continue
		}
		r.Header.Add(name, strings.Trim(value, " \t"))
	}
	return method, r
}
