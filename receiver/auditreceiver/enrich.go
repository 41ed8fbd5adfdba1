package auditreceiver // import "github.com/auditpipe/auditpipe/receiver/auditreceiver"

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/semconv"
)

// principalAttributes are the auth-data attributes read, in order, for the
// ingest principal: "subject" (OIDC and most token authenticators) and
// "username" (basic auth).
var principalAttributes = []string{"subject", "username"}

// requestSource is what the receiver knows about the sender of one request.
type requestSource struct {
	clientAddress string // "" when unknown or not wanted
	principal     string // "" when unauthenticated or not wanted
}

// enricher adds the sender's address and principal to records.
type enricher struct {
	clientAddressFromPeer bool
	includePrincipal      bool
	trustedProxies        []netip.Prefix
}

// source resolves the sender of the request whose context is ctx.
// forwardedFor holds the X-Forwarded-For values, in header order.
func (e *enricher) source(ctx context.Context, forwardedFor []string) requestSource {
	info := client.FromContext(ctx)
	var src requestSource
	if e.clientAddressFromPeer {
		if peer, ok := addrOf(info.Addr); ok {
			src.clientAddress = e.clientAddress(peer, forwardedFor).String()
		}
	}
	if e.includePrincipal {
		src.principal = principalOf(info.Auth)
	}
	return src
}

// clientAddress walks X-Forwarded-For from the right (the hop nearest to us)
// while the hops are trusted proxies, and returns the first untrusted
// address: anything left of it could have been written by the client.
// X-Forwarded-For from an untrusted peer is ignored. When a hop cannot be
// parsed, the last trusted hop is the best known address.
func (e *enricher) clientAddress(peer netip.Addr, forwardedFor []string) netip.Addr {
	current := peer
	hops := forwardedHops(forwardedFor)
	for i := len(hops) - 1; i >= 0 && e.trusted(current); i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return current
		}
		current = hop.Unmap()
	}
	return current
}

func (e *enricher) trusted(addr netip.Addr) bool {
	for _, p := range e.trustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// forwardedHops splits X-Forwarded-For values (one header may be repeated,
// each a comma-separated list) into one list, client first.
func forwardedHops(values []string) []string {
	var hops []string
	for _, v := range values {
		for hop := range strings.SplitSeq(v, ",") {
			if hop = strings.TrimSpace(hop); hop != "" {
				hops = append(hops, hop)
			}
		}
	}
	return hops
}

// enrich adds the source to lr. An emitter may set client.address itself
// (it knows the end user's address); it may not set audit.ingest.principal
// when principals are recorded, so that attribute always states who
// authenticated the delivery.
func (e *enricher) enrich(lr plog.LogRecord, src requestSource) {
	attrs := lr.Attributes()
	if src.clientAddress != "" {
		if _, present := attrs.Get(semconv.AttrClientAddress); !present {
			attrs.PutStr(semconv.AttrClientAddress, src.clientAddress)
		}
	}
	if e.includePrincipal {
		if src.principal != "" {
			attrs.PutStr(semconv.AttrIngestPrincipal, src.principal)
		} else {
			attrs.Remove(semconv.AttrIngestPrincipal)
		}
	}
}

// addrOf returns the IP address of a peer as configgrpc (a *net.TCPAddr) or
// confighttp (a *net.IPAddr) records it; unix sockets have none.
func addrOf(addr net.Addr) (netip.Addr, bool) {
	var ip netip.Addr
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip = a.AddrPort().Addr()
	case *net.IPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	case nil:
		return netip.Addr{}, false
	default:
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return netip.Addr{}, false
		}
		ip = ap.Addr()
	}
	return ip.Unmap(), ip.IsValid()
}

// principalOf names the authenticated principal: the first string among
// principalAttributes, else the auth data's own string form.
func principalOf(auth client.AuthData) string {
	if auth == nil {
		return ""
	}
	for _, name := range principalAttributes {
		if s, ok := auth.GetAttribute(name).(string); ok && s != "" {
			return s
		}
	}
	if s, ok := auth.(fmt.Stringer); ok {
		return s.String()
	}
	return ""
}
