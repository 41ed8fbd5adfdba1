// Command seed fills an Elasticsearch (or esdev) with realistic, chained
// audit events from internal/auditgen, for the plugin's browser tests.
//
//	go run ./tests/seed -es http://127.0.0.1:9200 -n 2000 -span 24h
//
// Events end at the current time so a "last 24 hours" range shows them all.
package main

import (
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/auditpipe/auditpipe/query/querytest"
)

func main() {
	es := flag.String("es", "http://127.0.0.1:9200", "Elasticsearch URL")
	n := flag.Int("n", 2000, "number of events")
	span := flag.Duration("span", 24*time.Hour, "time the events spread over, ending now")
	flag.Parse()
	start := time.Now().Add(-*span)
	events := querytest.Generate(*n, start, *span)
	if err := querytest.LoadErr(*es, events); err != nil {
		log.Fatalf("seed: %v", err)
	}
	fmt.Printf("loaded %d events into %s/%s\n", len(events), *es, querytest.Stream)
}
