package cachekitio

import (
	"net"
	"net/netip"
	"strings"
	"testing"
)

// IPv6 transition addresses embedding an internal IPv4 address are
// blocked, in the URL check and at connect time; those embedding a public
// one are not. (6to4 for 169.254.169.254, [2002:a9fe:a9fe::1], passed.)
func TestTransitionAddressesBlocked(t *testing.T) {
	for addr, blocked := range map[string]bool{
		// 6to4, 2002::/16: the IPv4 address follows the prefix.
		"2002:a9fe:a9fe::1": true,  // 169.254.169.254, cloud metadata
		"2002:7f00:1::":     true,  // 127.0.0.1
		"2002:a00:1::1":     true,  // 10.0.0.1
		"2002:c0a8:101::1":  true,  // 192.168.1.1
		"2002:6440:1::1":    true,  // 100.64.0.1, carrier-grade NAT
		"2002::1":           true,  // 0.0.0.0
		"2002:808:808::1":   false, // 8.8.8.8
		// Teredo, 2001::/32: the client's address is the last 32 bits, inverted.
		"2001::":                               true,  // 255.255.255.255
		"2001:0:4136:e378:8000:63bf:5601:5601": true,  // 169.254.169.254
		"2001:0:4136:e378:8000:63bf:80ff:fffe": true,  // 127.0.0.1
		"2001:0:4136:e378:8000:63bf:f5ff:fffe": true,  // 10.0.0.1
		"2001:0:4136:e378:8000:63bf:3fff:fdd2": false, // 192.0.2.45 (RFC 4380's example)
		// NAT64, 64:ff9b::/96: the last 32 bits.
		"64:ff9b::a9fe:a9fe": true,  // 169.254.169.254
		"64:ff9b::7f00:1":    true,  // 127.0.0.1
		"64:ff9b::a00:1":     true,  // 10.0.0.1
		"64:ff9b::808:808":   false, // 8.8.8.8
		// Local-use NAT64, 64:ff9b:1::/48: internal whatever it embeds.
		"64:ff9b:1::808:808": true,
		"64:ff9b:1:ffff::1":  true,
		// Ordinary global IPv6 beside those prefixes.
		"2001:4860::8888": false, // 2001:4860::/32 is not Teredo
		"2606:4700::1111": false,
	} {
		ip := netip.MustParseAddr(addr)
		if got := blockedAddr(ip); got != blocked {
			t.Errorf("blockedAddr(%s) = %v, want %v", addr, got, blocked)
		}
		_, err := validateEndpoint("https://["+addr+"]", true, false)
		if (err != nil) != blocked {
			t.Errorf("validateEndpoint([%s]): %v, want blocked=%v", addr, err, blocked)
		}
	}
}

// The connect-time guard refuses them too: the check runs on the socket
// before it connects, so no route to the address is needed.
func TestDialGuardTransitionAddresses(t *testing.T) {
	for _, addr := range []string{"2002:a9fe:a9fe::1", "2001:0:4136:e378:8000:63bf:5601:5601", "64:ff9b::a9fe:a9fe", "64:ff9b:1::1"} {
		g := &guardedDialer{host: addr}
		c, err := g.DialContext(t.Context(), "tcp", net.JoinHostPort(addr, "443"))
		if c != nil {
			c.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "internal address") {
			t.Errorf("dial %s: %v, want the guard's refusal", addr, err)
		}
	}
}
