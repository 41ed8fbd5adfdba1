package esclient

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCloudAddress(t *testing.T) {
	id := "prod:" + base64.StdEncoding.EncodeToString([]byte("eu-west-1.aws.found.io:443$abc123$kib456"))
	got, err := CloudAddress(id)
	require.NoError(t, err)
	assert.Equal(t, "https://abc123.eu-west-1.aws.found.io:443", got)

	for _, bad := range []string{"no-colon", "x:%%%", "x:" + base64.StdEncoding.EncodeToString([]byte("only-host"))} {
		_, err := CloudAddress(bad)
		assert.Error(t, err, bad)
	}
}

func TestNewRejectsWhatIsNotAnAddress(t *testing.T) {
	_, err := New(Config{})
	assert.ErrorIs(t, err, errNoAddress)
	_, err = New(Config{Addresses: []string{"localhost:9200"}})
	assert.ErrorContains(t, err, "not an http(s) URL")
}

func TestRequestsCarryCredentialsAndUserAgent(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c, err := New(Config{Addresses: []string{srv.URL + "/"}, APIKey: "a2V5", UserAgent: "auditpipe-test/1"})
	require.NoError(t, err)
	res, err := esapi.InfoRequest{}.Do(t.Context(), c)
	require.NoError(t, err)
	res.Body.Close()
	// Auth schemes are case-insensitive (RFC 9110); the transport writes APIKey.
	assert.True(t, strings.EqualFold("ApiKey a2V5", got.Get("Authorization")), got.Get("Authorization"))
	assert.Equal(t, "auditpipe-test/1", got.Get("User-Agent"))
}
