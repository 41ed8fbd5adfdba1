package auditreceiver

import (
	"context"
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/semconv"
)

func trustedEnricher(t *testing.T, proxies ...string) *enricher {
	t.Helper()
	prefixes, err := parseTrustedProxies(proxies)
	require.NoError(t, err)
	return &enricher{clientAddressFromPeer: true, includePrincipal: true, trustedProxies: prefixes}
}

func TestClientAddress(t *testing.T) {
	e := trustedEnricher(t, "10.0.0.0/8", "192.0.2.7")
	for _, tc := range []struct {
		name         string
		peer         string
		forwardedFor []string
		want         string
	}{
		{"untrusted peer ignores the header", "203.0.113.9", []string{"198.51.100.1"}, "203.0.113.9"},
		{"trusted peer without header", "10.1.1.1", nil, "10.1.1.1"},
		{"trusted peer, one hop", "10.1.1.1", []string{"198.51.100.1"}, "198.51.100.1"},
		{"right-most untrusted wins over a spoofed left part", "10.1.1.1",
			[]string{"1.2.3.4, 198.51.100.1, 10.2.2.2"}, "198.51.100.1"},
		{"repeated headers are one list", "192.0.2.7", []string{"198.51.100.1", "10.2.2.2"}, "198.51.100.1"},
		{"all hops trusted gives the left-most", "10.1.1.1", []string{"10.3.3.3, 10.2.2.2"}, "10.3.3.3"},
		{"garbage hop stops at the last trusted one", "10.1.1.1", []string{"unknown, 10.2.2.2"}, "10.2.2.2"},
		{"IPv6 client", "10.1.1.1", []string{"2001:db8::5"}, "2001:db8::5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := e.clientAddress(netip.MustParseAddr(tc.peer), tc.forwardedFor)
			assert.Equal(t, tc.want, got.String())
		})
	}
}

type authData map[string]any

func (a authData) GetAttribute(name string) any { return a[name] }
func (a authData) GetAttributeNames() []string {
	names := make([]string, 0, len(a))
	for n := range a {
		names = append(names, n)
	}
	return names
}

type stringerAuth struct{ authData }

func (stringerAuth) String() string { return "cn=backoffice-eu" }

func TestPrincipalOf(t *testing.T) {
	assert.Empty(t, principalOf(nil))
	assert.Equal(t, "svc-eu", principalOf(authData{"subject": "svc-eu", "username": "ignored"}))
	assert.Equal(t, "alice", principalOf(authData{"username": "alice"}))
	assert.Empty(t, principalOf(authData{"membership": []string{"x"}}))
	assert.Equal(t, "cn=backoffice-eu", principalOf(stringerAuth{authData{}}))
}

func TestSource(t *testing.T) {
	ctx := client.NewContext(context.Background(), client.Info{
		Addr: &net.TCPAddr{IP: net.ParseIP("10.0.0.1"), Port: 5555},
		Auth: authData{"subject": "backoffice-eu"},
	})
	src := trustedEnricher(t, "10.0.0.0/8").source(ctx, []string{"198.51.100.1"})
	assert.Equal(t, requestSource{clientAddress: "198.51.100.1", principal: "backoffice-eu"}, src)

	off := (&enricher{}).source(ctx, []string{"198.51.100.1"})
	assert.Equal(t, requestSource{}, off, "nothing is taken when enrichment is off")

	ipv4InIPv6 := client.NewContext(context.Background(), client.Info{Addr: &net.IPAddr{IP: net.ParseIP("203.0.113.9")}})
	assert.Equal(t, "203.0.113.9", trustedEnricher(t).source(ipv4InIPv6, nil).clientAddress)

	unixPeer := client.NewContext(context.Background(), client.Info{Addr: &net.UnixAddr{Name: "/run/audit.sock", Net: "unix"}})
	assert.Empty(t, trustedEnricher(t).source(unixPeer, nil).clientAddress)
}

func TestEnrich(t *testing.T) {
	e := trustedEnricher(t)
	src := requestSource{clientAddress: "198.51.100.1", principal: "backoffice-eu"}

	lr := plog.NewLogRecord()
	lr.Attributes().PutStr(semconv.AttrIngestPrincipal, "forged")
	e.enrich(lr, src)
	assert.Equal(t, map[string]any{
		semconv.AttrClientAddress:   "198.51.100.1",
		semconv.AttrIngestPrincipal: "backoffice-eu",
	}, lr.Attributes().AsRaw())

	own := plog.NewLogRecord()
	own.Attributes().PutStr(semconv.AttrClientAddress, "203.0.113.24")
	own.Attributes().PutStr(semconv.AttrIngestPrincipal, "forged")
	e.enrich(own, requestSource{clientAddress: "198.51.100.1"})
	assert.Equal(t, map[string]any{semconv.AttrClientAddress: "203.0.113.24"}, own.Attributes().AsRaw(),
		"the emitter's client.address stays; an unauthenticated delivery carries no principal")
}
