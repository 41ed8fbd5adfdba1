package rule // import "github.com/auditpipe/auditpipe/alerting/rule"

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// muteWindow is a compiled MuteConfig; start and end are minutes after midnight.
type muteWindow struct {
	days       map[time.Weekday]bool // nil: every day
	start, end int
	loc        *time.Location
}

func compileMute(m MuteConfig) (muteWindow, error) {
	w := muteWindow{loc: time.UTC}
	var err error
	if w.start, err = parseClock(m.Start); err != nil {
		return w, fmt.Errorf("start: %w", err)
	}
	if w.end, err = parseClock(m.End); err != nil {
		return w, fmt.Errorf("end: %w", err)
	}
	if w.start == w.end {
		return w, errors.New("start and end must differ")
	}
	if m.Timezone != "" {
		if w.loc, err = time.LoadLocation(m.Timezone); err != nil {
			return w, fmt.Errorf("timezone: %w", err)
		}
	}
	for _, d := range m.Days {
		wd, ok := weekdays[strings.ToLower(d)[:min(3, len(d))]]
		if !ok {
			return w, fmt.Errorf("unknown day %q (use mon, tue, wed, thu, fri, sat, sun)", d)
		}
		if w.days == nil {
			w.days = map[time.Weekday]bool{}
		}
		w.days[wd] = true
	}
	return w, nil
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// contains reports whether t falls in the window. A window that spans
// midnight belongs to the day it starts on: "fri 22:00-06:00" mutes Friday
// night into Saturday morning.
func (w muteWindow) contains(t time.Time) bool {
	t = t.In(w.loc)
	minute := t.Hour()*60 + t.Minute()
	day := t.Weekday()
	if w.start < w.end {
		return minute >= w.start && minute < w.end && w.onDay(day)
	}
	if minute >= w.start {
		return w.onDay(day)
	}
	return minute < w.end && w.onDay((day+6)%7)
}

func (w muteWindow) onDay(d time.Weekday) bool {
	return w.days == nil || w.days[d]
}
