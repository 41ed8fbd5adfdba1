package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/auditpipe/auditpipe/semconv"
)

// alertLine is one notification of the log notifier (alerting/notifier/log.go).
type alertLine struct {
	Msg   string `json:"msg"`
	Rule  string `json:"rule"`
	State string `json:"state"`
	Group string `json:"group"`
	Count int    `json:"count"`
}

func (a alertLine) String() string { return a.Rule + "/" + a.State + "/" + a.Group }

// alertLines parses the collector's JSON log for "audit alert" lines.
func alertLines(log string) []alertLine {
	var out []alertLine
	for _, l := range strings.Split(log, "\n") {
		if !strings.Contains(l, `"audit alert"`) {
			continue
		}
		var a alertLine
		if json.Unmarshal([]byte(l), &a) == nil && a.Msg == "audit alert" {
			out = append(out, a)
		}
	}
	return out
}

// TestScriptedAlerts posts a known scenario to the JSON intake of a collector
// that sees nothing else and expects exactly the alerts it should raise.
func TestScriptedAlerts(t *testing.T) {
	d := startESDev(t)
	c := startCollector(t, collectorOptions{esURL: d.es.url})

	const attacker = "198.51.100.77"
	now := time.Now().UTC()
	var events []map[string]any
	event := func(id, action, outcome, module, targetType string) map[string]any {
		e := map[string]any{
			"id": id, "timestamp": now.Add(time.Duration(len(events)) * time.Second).Format(time.RFC3339Nano),
			"action": action, "outcome": outcome, "actor_id": "emp-7", "actor_type": "employee",
			"module": module, "target_type": targetType, "target_id": "t-" + id,
			"client_address": "203.0.113.10", "tenant": "brand-eu",
		}
		events = append(events, e)
		return e
	}
	for i := range 12 { // within a minute: 12 s apart at most
		e := event(fmt.Sprintf("login-%d", i), "auth.login", "failure", "auth", "session")
		e["client_address"], e["actor_id"] = attacker, fmt.Sprintf("guess-%d", i)
	}
	event("grant-1", "bonus.manual_grant", "success", "bonuses", "player")
	event("role-1", "role.assign", "success", "employees", "employee")
	event("role-2", "role.revoke", "success", "employees", "employee")
	for i := range 5 {
		event(fmt.Sprintf("profile-%d", i), "player.profile_update", "success", "players", "player")
	}

	body, _ := json.Marshal(events)
	resp, err := http.Post("http://"+c.httpAddr+"/v1/audit/events", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Accepted int `json:"accepted"`
		Rejected int `json:"rejected"`
		Results  []struct {
			Error string `json:"error"`
		} `json:"results"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || res.Accepted != len(events) {
		t.Fatalf("intake answered %s, accepted %d of %d: %+v", resp.Status, res.Accepted, len(events), res.Results)
	}

	// The shipped rules: critical_action and role_change alert per event.
	want := []string{
		"critical_action/firing/grant-1",
		"critical_action/firing/role-1",
		"failed_logins_from_one_ip/firing/" + attacker,
		"role_change/firing/role-2",
	}
	// Once every event is stored the pipeline has handed them all to the
	// alert exporter too; the alert lines may trail by its evaluation.
	waitStableCount(t, d.es, len(events), time.Minute)
	var got []string
	eventually(t, 30*time.Second, "the scripted alerts", func() (bool, string) {
		got = got[:0]
		for _, a := range alertLines(c.LogText()) {
			got = append(got, normalise(a, attacker))
		}
		slices.Sort(got)
		return len(got) >= len(want), fmt.Sprint(got)
	})
	if !slices.Equal(got, want) {
		t.Fatalf("alert lines %v; want exactly %v", got, want)
	}
}

// normalise keeps of the group what the scenario fixes: the attacker's IP,
// or the event of a per-event alert.
func normalise(a alertLine, attacker string) string {
	group := ""
	if strings.Contains(a.Group, attacker) {
		group = attacker
	} else if id, ok := strings.CutPrefix(a.Group, semconv.AttrEventID+"="); ok {
		group = id
	}
	return a.Rule + "/" + a.State + "/" + group
}
