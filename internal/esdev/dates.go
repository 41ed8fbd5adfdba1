package esdev

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// esDateLayout is how Elasticsearch prints dates in the default
// strict_date_optional_time format (key_as_string, value_as_string).
const esDateLayout = "2006-01-02T15:04:05.000Z07:00"

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02T15",
	"2006-01-02",
	"2006-01",
	"2006",
}

// parseDateString parses the date forms of strict_date_optional_time; a
// missing zone means UTC, as in Elasticsearch.
func parseDateString(s string, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	if len(s) < 4 || s[0] < '0' || s[0] > '9' {
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseDateFormat parses s according to an Elasticsearch `format`
// (a "||"-separated list). Only the formats listed below are known to esdev.
func parseDateFormat(s, format string, loc *time.Location) (time.Time, error) {
	if format == "" {
		format = "strict_date_optional_time||epoch_millis"
	}
	for _, f := range strings.Split(format, "||") {
		switch f {
		case "strict_date_optional_time", "date_optional_time", "strict_date_optional_time_nanos",
			"strict_date_time", "date_time", "strict_date", "date", "iso8601":
			if t, ok := parseDateString(s, loc); ok {
				return t, nil
			}
		case "epoch_millis":
			if ms, err := strconv.ParseFloat(s, 64); err == nil {
				return time.Unix(0, int64(ms*1e6)).UTC(), nil
			}
		case "epoch_second":
			if sec, err := strconv.ParseFloat(s, 64); err == nil {
				return time.Unix(0, int64(sec*1e9)).UTC(), nil
			}
		case "yyyy-MM-dd":
			if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
				return t, nil
			}
		case "yyyy-MM-dd HH:mm:ss":
			if t, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc); err == nil {
				return t, nil
			}
		default:
			return time.Time{}, unsupported("date format [%s]", f)
		}
	}
	return time.Time{}, badRequest("parse_exception", "failed to parse date field [%s] with format [%s]", s, format)
}

// parseTimeZone accepts the zone forms Elasticsearch accepts: "Z", "+01:00",
// "-0530" and IANA names.
func parseTimeZone(tz string) (*time.Location, error) {
	if tz == "" || tz == "Z" || tz == "UTC" {
		return time.UTC, nil
	}
	if tz[0] == '+' || tz[0] == '-' {
		t, err := time.Parse("-07:00", tz)
		if err != nil {
			t, err = time.Parse("-0700", tz)
		}
		if err != nil {
			return nil, badRequest("illegal_argument_exception", "invalid time zone [%s]", tz)
		}
		_, off := t.Zone()
		return time.FixedZone(tz, off), nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, badRequest("illegal_argument_exception", "unknown time zone [%s]", tz)
	}
	return loc, nil
}

// resolveDateMath evaluates an Elasticsearch date expression such as
// "now-1h", "now/d" or "2024-01-01||+1M/d". roundUp selects the end of the
// rounding unit, which Elasticsearch uses for lte/gt bounds.
func resolveDateMath(expr, format string, loc *time.Location, now time.Time, roundUp bool) (time.Time, error) {
	var base time.Time
	var rest string
	switch {
	case strings.HasPrefix(expr, "now"):
		base, rest = now, expr[3:]
	case strings.Contains(expr, "||"):
		i := strings.Index(expr, "||")
		t, err := parseDateFormat(expr[:i], format, loc)
		if err != nil {
			return time.Time{}, err
		}
		base, rest = t, expr[i+2:]
	default:
		return parseDateFormat(expr, format, loc)
	}
	if loc == nil {
		loc = time.UTC
	}
	t := base.In(loc)
	for rest != "" {
		op := rest[0]
		rest = rest[1:]
		if op == '/' {
			if rest == "" {
				return time.Time{}, parseErr("date math [%s]: missing rounding unit", expr)
			}
			t = roundDate(t, rest[0], roundUp)
			rest = rest[1:]
			continue
		}
		if op != '+' && op != '-' {
			return time.Time{}, parseErr("date math [%s]: unexpected [%c]", expr, op)
		}
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		n := 1
		if j > 0 {
			n, _ = strconv.Atoi(rest[:j])
		}
		if j >= len(rest) {
			return time.Time{}, parseErr("date math [%s]: missing unit", expr)
		}
		if op == '-' {
			n = -n
		}
		unit := rest[j]
		rest = rest[j+1:]
		switch unit {
		case 'y':
			t = t.AddDate(n, 0, 0)
		case 'M':
			t = t.AddDate(0, n, 0)
		case 'w':
			t = t.AddDate(0, 0, 7*n)
		case 'd':
			t = t.AddDate(0, 0, n)
		case 'h', 'H':
			t = t.Add(time.Duration(n) * time.Hour)
		case 'm':
			t = t.Add(time.Duration(n) * time.Minute)
		case 's':
			t = t.Add(time.Duration(n) * time.Second)
		default:
			return time.Time{}, parseErr("date math [%s]: unknown unit [%c]", expr, unit)
		}
	}
	return t, nil
}

func roundDate(t time.Time, unit byte, up bool) time.Time {
	var start, next time.Time
	y, mo, d := t.Date()
	switch unit {
	case 'y':
		start = time.Date(y, 1, 1, 0, 0, 0, 0, t.Location())
		next = start.AddDate(1, 0, 0)
	case 'M':
		start = time.Date(y, mo, 1, 0, 0, 0, 0, t.Location())
		next = start.AddDate(0, 1, 0)
	case 'w':
		wd := (int(t.Weekday()) + 6) % 7 // Monday first, as in ISO weeks
		start = time.Date(y, mo, d-wd, 0, 0, 0, 0, t.Location())
		next = start.AddDate(0, 0, 7)
	case 'd':
		start = time.Date(y, mo, d, 0, 0, 0, 0, t.Location())
		next = start.AddDate(0, 0, 1)
	case 'h', 'H':
		start = t.Truncate(time.Hour)
		next = start.Add(time.Hour)
	case 'm':
		start = t.Truncate(time.Minute)
		next = start.Add(time.Minute)
	case 's':
		start = t.Truncate(time.Second)
		next = start.Add(time.Second)
	default:
		return t
	}
	if up {
		return next.Add(-time.Millisecond)
	}
	return start
}

// dateFromJSON converts a date bound or term value (string or number of epoch
// millis) to a time.
func dateFromJSON(v any, format string, loc *time.Location, now time.Time, roundUp bool) (time.Time, error) {
	switch x := v.(type) {
	case string:
		return resolveDateMath(x, format, loc, now, roundUp)
	case json.Number:
		if format != "" && strings.Contains(format, "epoch_second") {
			return parseDateFormat(x.String(), "epoch_second", loc)
		}
		f, err := x.Float64()
		if err != nil {
			return time.Time{}, err
		}
		return time.Unix(0, int64(f*1e6)).UTC(), nil
	case float64:
		return time.Unix(0, int64(x*1e6)).UTC(), nil
	}
	return time.Time{}, parseErr("cannot parse date from [%v]", v)
}

func millisOf(ns int64) int64 {
	q := ns / 1e6
	if ns%1e6 < 0 {
		q--
	}
	return q
}

func formatDate(ns int64, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return time.Unix(0, ns).In(loc).Format(esDateLayout)
}
