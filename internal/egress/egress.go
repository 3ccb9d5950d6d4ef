// Package egress decides which network addresses the hub's outbound
// connections on behalf of tenants (organization storages, webhooks) may
// reach. A Policy refuses loopback, link-local, private, unspecified and
// other non-public addresses unless the operator allows them, and is
// checked when a connection is made: after DNS resolution, for every
// address tried, and for every redirect (each redirect dials anew), so a
// host name that resolves to 127.0.0.1 or a redirect to 169.254.169.254
// is refused like the literal address.
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrRefused is wrapped by every error of a connection the policy refused.
var ErrRefused = errors.New("refused by policy")

// RefusedError is a connection the policy refused. Its message names the
// address and the rule, never anything the address answered.
type RefusedError struct {
	// Addr is the address that was refused.
	Addr netip.Addr
}

// Error says the address is refused by policy.
func (e *RefusedError) Error() string {
	return fmt.Sprintf("connection to %s refused by policy: it is a loopback, link-local, private or unspecified address (allow it with the hub's allow-private-networks setting)", e.Addr)
}

// RetryableError returns false: retrying clients that ask (the AWS SDK)
// give up at once, since the policy will refuse again.
func (e *RefusedError) RetryableError() bool { return false }

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Policy says which addresses outbound connections may reach. The zero
// value and nil refuse every non-public address. It is safe for
// concurrent use.
type Policy struct {
	allow []netip.Prefix
}

// New returns a Policy that also allows the given networks: CIDR
// prefixes ("10.0.0.0/8", "fd00::/8") or single addresses ("127.0.0.1").
// Errors name the entry that does not parse.
func New(allow []string) (*Policy, error) {
	p := &Policy{}
	for _, s := range allow {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if pfx, err := netip.ParsePrefix(s); err == nil {
			p.allow = append(p.allow, pfx.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("allowed network %q is not an address or a CIDR prefix such as 10.0.0.0/8", s)
		}
		p.allow = append(p.allow, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return p, nil
}

// blocked lists the networks refused by default besides what netip's
// predicates cover: shared address space (RFC 6598), IETF protocol
// assignments, benchmarking, documentation, reserved ranges, the
// IPv6 discard, NAT64 and 6to4 prefixes (which may embed a private IPv4
// address) and the deprecated site-local prefix.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("fec0::/10"),
}

// Check returns nil when a may be reached, a *RefusedError otherwise.
func (p *Policy) Check(a netip.Addr) error {
	a = a.Unmap()
	if p != nil {
		for _, pfx := range p.allow {
			if pfx.Contains(a) {
				return nil
			}
		}
	}
	if !a.IsValid() || a.IsUnspecified() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() {
		return &RefusedError{Addr: a}
	}
	for _, pfx := range blocked {
		if pfx.Contains(a) {
			return &RefusedError{Addr: a}
		}
	}
	return nil
}

// Control is a net.Dialer Control function: it refuses a connection to
// an address the policy does not allow, after DNS resolution.
func (p *Policy) Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("connection to %s %w: not an IP address", address, ErrRefused)
	}
	return p.Check(ap.Addr())
}

// Dialer returns a net.Dialer that applies the policy.
func (p *Policy) Dialer() *net.Dialer {
	return &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: p.Control}
}

// Transport returns an HTTP transport like http.DefaultTransport whose
// every connection applies the policy. It uses no proxy from the
// environment: a proxy would connect on the hub's behalf, out of the
// policy's sight.
func (p *Policy) Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	d := p.Dialer()
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil && errors.Is(err, ErrRefused) {
			// The dialer's error carries the dial address; keep only
			// the policy's message.
			var re *RefusedError
			if errors.As(err, &re) {
				return nil, re
			}
		}
		return c, err
	}
	return t
}
