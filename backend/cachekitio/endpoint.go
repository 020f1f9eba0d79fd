package cachekitio

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"

	"github.com/cachekit-io/cachekit-go/core"
)

// The API hosts the SDK talks to without CACHEKIT_ALLOW_CUSTOM_HOST.
const (
	// ProductionURL is the managed cachekit.io API.
	ProductionURL = "https://api.cachekit.io"
	// StagingURL is the managed cachekit.io staging API.
	StagingURL = "https://api.staging.cachekit.io"
)

var allowedHosts = map[string]bool{"api.cachekit.io": true, "api.staging.cachekit.io": true}

// cgnat is 100.64.0.0/10 (RFC 6598), internal by design.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// IPv6 prefixes that embed an IPv4 address the packets are delivered to.
var (
	// sixToFour is 2002::/16 (RFC 3056): the IPv4 address is bits 16–47.
	sixToFour = netip.MustParsePrefix("2002::/16")
	// teredo is 2001::/32 (RFC 4380): the client's IPv4 address is the
	// last 32 bits, inverted.
	teredo = netip.MustParsePrefix("2001::/32")
	// nat64 is the well-known NAT64 prefix 64:ff9b::/96 (RFC 6052): the
	// IPv4 address is the last 32 bits.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
	// nat64Local is 64:ff9b:1::/48 (RFC 8215), for NAT64 inside one
	// network: internal by definition, whatever it embeds.
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
)

// blockedAddr reports whether ip is an address the SDK must not send the
// API key to: loopback, private, link-local, unspecified, multicast,
// carrier-grade NAT, IPv4-mapped/-compatible IPv6 (::/8), local-use NAT64,
// a 6to4, Teredo or NAT64 address embedding an IPv4 address blocked here,
// or anything else that is not global unicast. A NAT64 address embedding a
// public IPv4 address passes, as that address would.
func blockedAddr(ip netip.Addr) bool {
	if ip.Zone() != "" || ip.Is4In6() {
		return true
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64Local.Contains(ip):
			return true
		case nat64.Contains(ip):
			// Before the ::/8 rule, which covers it: on an IPv6-only
			// network with DNS64 the API host resolves here.
			return blockedAddr(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case b[0] == 0: // ::/8: IPv4-compatible and other reserved forms
			return true
		case sixToFour.Contains(ip):
			return blockedAddr(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		case teredo.Contains(ip):
			return blockedAddr(netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}))
		}
	}
	return !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() ||
		ip.IsLinkLocalUnicast() || ip.IsUnspecified() || cgnat.Contains(ip) ||
		(ip.Is4() && ip.As4()[0] == 0)
}

// numericHost reports a host name whose last label is a number (decimal,
// octal or 0x hex): the WHATWG URL parser and many resolvers read such names
// as IPv4 addresses ("2130706433", "0x7f.1", "127.1").
func numericHost(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	s := strings.ToLower(last)
	if strings.HasPrefix(s, "0x") {
		s = s[2:]
		for i := 0; i < len(s); i++ {
			if !strings.ContainsRune("0123456789abcdef", rune(s[i])) {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func configError(msg string) error {
	return &core.Error{Kind: core.KindConfig, Op: "cachekitio.new", Msg: msg}
}

// validateEndpoint checks the API URL (API-74): HTTPS only, an origin
// without credentials, path, query or fragment; unless insecure, no literal
// loopback/private/link-local/unspecified/v4-mapped address, no "localhost",
// and a host from the allow-list unless allowCustom.
func validateEndpoint(raw string, allowCustom, insecure bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, configError("the API URL does not parse")
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return nil, configError("the API URL must use https")
	}
	if u.User != nil {
		return nil, configError("the API URL must not carry credentials")
	}
	if u.Opaque != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return nil, configError("the API URL must be an origin (scheme, host and optional port) only")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return nil, configError("the API URL has no host")
	}
	if p := u.Port(); p != "" {
		if _, err := net.LookupPort("tcp", p); err != nil {
			return nil, configError("the API URL has an invalid port")
		}
	}
	out := &url.URL{Scheme: "https", Host: u.Host}
	if insecure {
		return out, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if blockedAddr(ip) {
			return nil, configError(fmt.Sprintf("the API URL's address %s is loopback, private, link-local or otherwise internal", ip))
		}
	} else if numericHost(host) {
		return nil, configError("the API URL's host is a numeric IPv4 form")
	} else if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return nil, configError("the API URL must not point at localhost")
	}
	if !allowedHosts[host] && !allowCustom {
		return nil, configError(fmt.Sprintf("the API host %q is not api.cachekit.io or api.staging.cachekit.io; set CACHEKIT_ALLOW_CUSTOM_HOST=true (or WithAllowCustomHost) to use another", host))
	}
	return out, nil
}

// guardedDialer refuses, at connect time, to connect to the API host at an
// internal address, so that a host name resolving to one (DNS rebinding)
// cannot receive the API key. Connections to other hosts (an HTTPS proxy)
// are not checked.
type guardedDialer struct {
	d    net.Dialer
	host string // the API host name, lowercase
}

func (g *guardedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !strings.EqualFold(strings.TrimSuffix(host, "."), g.host) {
		return g.d.DialContext(ctx, network, addr)
	}
	d := g.d
	d.ControlContext = func(_ context.Context, _, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return err
		}
		if blockedAddr(ap.Addr().Unmap()) {
			return fmt.Errorf("refusing to connect to internal address %s for the CacheKit API", ap.Addr())
		}
		return nil
	}
	return d.DialContext(ctx, network, addr)
}
