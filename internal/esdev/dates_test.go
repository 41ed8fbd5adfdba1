package esdev

import (
	"testing"
	"time"
)

func TestResolveDateMath(t *testing.T) {
	now := time.Date(2026, 11, 23, 13, 45, 30, 0, time.UTC)
	paris, _ := parseTimeZone("+01:00")
	cases := []struct {
		expr    string
		loc     *time.Location
		roundUp bool
		want    string
	}{
		{"now", nil, false, "2026-11-23T13:45:30Z"},
		{"now-1h", nil, false, "2026-11-23T12:45:30Z"},
		{"now/d", nil, false, "2026-11-23T00:00:00Z"},
		{"now/d", nil, true, "2026-11-23T23:59:59.999Z"},
		{"now-1M/M", nil, false, "2026-10-01T00:00:00Z"},
		{"now/w", nil, false, "2026-11-23T00:00:00Z"}, // a Monday
		{"now/d", paris, false, "2026-11-22T23:00:00Z"},
		{"2026-01-31||+1M", nil, false, "2026-03-03T00:00:00Z"},
		{"2026-01-01T10:00:00.5Z", nil, false, "2026-01-01T10:00:00.5Z"},
		{"2026-01-01", paris, false, "2025-12-31T23:00:00Z"},
	}
	for _, c := range cases {
		got, err := resolveDateMath(c.expr, "", c.loc, now, c.roundUp)
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if s := got.UTC().Format(time.RFC3339Nano); s != c.want {
			t.Errorf("%s (roundUp=%v) = %s, want %s", c.expr, c.roundUp, s, c.want)
		}
	}
	for _, bad := range []string{"now-", "now+1x", "now/", "yesterday"} {
		if _, err := resolveDateMath(bad, "", nil, now, false); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseDateFormat(t *testing.T) {
	got, err := parseDateFormat("1767225600000", "epoch_millis", nil)
	if err != nil || !got.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("epoch_millis: %v %v", got, err)
	}
	if _, err := parseDateFormat("x", "dd/MM/yyyy", nil); err == nil || err.(*esError).Type != "parsing_exception" {
		t.Errorf("unknown format must be a named 400: %v", err)
	}
	if millisOf(-1) != -1 || millisOf(1_999_999) != 1 {
		t.Errorf("millisOf must floor")
	}
}
