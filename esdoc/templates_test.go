package esdoc

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestMappingsNestDottedFields(t *testing.T) {
	m := Mappings()
	if m["dynamic"] != false {
		t.Errorf("dynamic = %v, want false", m["dynamic"])
	}
	props := m["properties"].(map[string]any)
	ip := props["source"].(map[string]any)["properties"].(map[string]any)["ip"]
	if !reflect.DeepEqual(ip, map[string]any{"type": "ip"}) {
		t.Errorf("source.ip mapping = %v", ip)
	}
	old := props["audit"].(map[string]any)["properties"].(map[string]any)["change"].(map[string]any)["properties"].(map[string]any)["old"]
	if old.(map[string]any)["type"] != "flattened" {
		t.Errorf("audit.change.old mapping = %v", old)
	}
	if _, err := json.Marshal(m); err != nil {
		t.Fatal(err)
	}
}

func TestComponentTemplate(t *testing.T) {
	ct := ComponentTemplate(TemplateOptions{LifecyclePolicy: "audit-retention", Version: 3})
	tmpl := ct["template"].(map[string]any)
	if got := tmpl["settings"].(map[string]any)["index.lifecycle.name"]; got != "audit-retention" {
		t.Errorf("lifecycle = %v", got)
	}
	if ct["version"] != 3 {
		t.Errorf("version = %v", ct["version"])
	}
	if _, ok := ComponentTemplate(TemplateOptions{})["template"].(map[string]any)["settings"]; ok {
		t.Error("settings present without a lifecycle policy")
	}
}

func TestIndexTemplate(t *testing.T) {
	it := IndexTemplate(IndexTemplateOptions{Dataset: "audit", ComposedOf: []string{"auditpipe-mappings"}, Priority: 500})
	if !reflect.DeepEqual(it["index_patterns"], []string{"logs-audit-*"}) {
		t.Errorf("index_patterns = %v", it["index_patterns"])
	}
	if _, ok := it["data_stream"]; !ok {
		t.Error("not a data stream template")
	}
}

func TestILMPolicy(t *testing.T) {
	p := ILMPolicy(Retention{HotMaxAge: 24 * time.Hour, WarmAfter: 7 * 24 * time.Hour, DeleteAfter: 400 * 24 * time.Hour})
	phases := p["policy"].(map[string]any)["phases"].(map[string]any)
	rollover := phases["hot"].(map[string]any)["actions"].(map[string]any)["rollover"].(map[string]any)
	if rollover["max_age"] != "1d" {
		t.Errorf("rollover max_age = %v", rollover["max_age"])
	}
	if got := phases["warm"].(map[string]any)["min_age"]; got != "7d" {
		t.Errorf("warm min_age = %v", got)
	}
	if got := phases["delete"].(map[string]any)["min_age"]; got != "400d" {
		t.Errorf("delete min_age = %v", got)
	}
	keep := ILMPolicy(Retention{HotMaxAge: time.Hour})["policy"].(map[string]any)["phases"].(map[string]any)
	if _, ok := keep["delete"]; ok {
		t.Error("delete phase present with DeleteAfter 0: audit data would be deleted")
	}
	if _, ok := keep["warm"]; ok {
		t.Error("warm phase present with WarmAfter 0")
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * 24 * time.Hour: "30d", 36 * time.Hour: "36h", 90 * time.Second: "90s",
		1500 * time.Millisecond: "1500ms", 0: "0ms", 2 * time.Minute: "2m",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestDeadLetter(t *testing.T) {
	at := time.Date(2026, 11, 23, 23, 59, 0, 0, time.FixedZone("x", 3600))
	if got := DeadLetterIndex(at); got != "audit-deadletter-2026.11.23" {
		t.Errorf("DeadLetterIndex = %q", got)
	}
	original := []byte(`{"source":{"ip":"not-an-ip"},"event":{"id":"e1"}}`)
	doc := AppendDeadLetter(nil, at, "e1", "document_parsing_exception", "failed to parse field [source.ip]", original)
	var got map[string]any
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatalf("invalid dead letter %s: %v", doc, err)
	}
	want := map[string]any{
		"@timestamp": "2026-11-23T22:59:00Z",
		"event":      map[string]any{"id": "e1", "original": string(original)},
		"error":      map[string]any{"type": "document_parsing_exception", "reason": "failed to parse field [source.ip]"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dead letter = %v, want %v", got, want)
	}
	tmpl := DeadLetterIndexTemplate(500, 0)
	if _, ok := tmpl["data_stream"]; ok {
		t.Error("dead-letter template must create plain indices")
	}
}
