// Package esclient builds the Elasticsearch transport that the exporter and
// the query layer share: go-elasticsearch's esapi requests over
// elastictransport. It does not use the root go-elasticsearch package, whose
// typed API (858 packages) nothing here calls and which took a large share
// of a cold build of the collector.
package esclient // import "github.com/auditpipe/auditpipe/internal/esclient"

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
)

// Config says where Elasticsearch is and how to authenticate.
type Config struct {
	// Addresses are http(s) URLs of nodes; CloudID replaces them for Elastic
	// Cloud.
	Addresses []string
	CloudID   string
	Username  string
	Password  string
	APIKey    string
	Header    http.Header
	UserAgent string
	Transport http.RoundTripper
	// DisableRetry turns off the transport's retries on 502, 503 and 504,
	// for callers that retry themselves.
	DisableRetry bool
}

var errNoAddress = errors.New("elasticsearch: no address configured")

// New returns a transport for esapi requests; it does not contact the server.
func New(cfg Config) (*elastictransport.Client, error) {
	addresses := cfg.Addresses
	if cfg.CloudID != "" {
		a, err := CloudAddress(cfg.CloudID)
		if err != nil {
			return nil, err
		}
		addresses = []string{a}
	}
	if len(addresses) == 0 {
		return nil, errNoAddress
	}
	urls := make([]*url.URL, 0, len(addresses))
	for _, a := range addresses {
		u, err := url.Parse(strings.TrimRight(a, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("elasticsearch: address %q is not an http(s) URL", a)
		}
		urls = append(urls, u)
	}
	opts := []elastictransport.Option{
		elastictransport.WithURLs(urls...),
		elastictransport.WithBasicAuth(cfg.Username, cfg.Password),
		elastictransport.WithAPIKey(cfg.APIKey),
		elastictransport.WithHeader(cfg.Header),
		elastictransport.WithUserAgent(cfg.UserAgent),
		elastictransport.WithTransport(cfg.Transport),
	}
	if cfg.DisableRetry {
		opts = append(opts, elastictransport.WithDisableRetry())
	}
	return elastictransport.NewClient(opts...)
}

// CloudAddress decodes an Elastic Cloud ID, "name:base64(host$es-id$kibana-id)",
// into the deployment's Elasticsearch URL, https://es-id.host.
func CloudAddress(id string) (string, error) {
	_, encoded, ok := strings.Cut(id, ":")
	if !ok {
		return "", fmt.Errorf("elasticsearch: cloud_id %q is not name:base64", id)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", fmt.Errorf("elasticsearch: cloud_id: %w", err)
	}
	parts := strings.Split(string(raw), "$")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return "", fmt.Errorf("elasticsearch: cloud_id does not name a host and a deployment")
	}
	return "https://" + parts[1] + "." + parts[0], nil
}
