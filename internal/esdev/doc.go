// Package esdev is a small single-node server answering the part of the
// Elasticsearch 8.x REST API that auditpipe uses, so tests and `make run`
// have a real HTTP peer with real indexing and search. It is a development
// and test store only; production is Elasticsearch.
//
// Storage: every index keeps an append-only document log (the _source of
// record, returned byte for byte), in-memory columns rebuilt from that log at
// start (keyword, ip, numeric, date, boolean and flattened values, used for
// filters, sorting and aggregations) and a bleve (scorch) index holding the
// analyzed text fields (match, match_phrase, query_string on text).
// Writes become searchable at each refresh (Config.RefreshInterval, 1s by
// default) or with ?refresh.
//
// In-process use (tests of other components):
//
//	srv, err := esdev.New(esdev.Config{DataDir: t.TempDir()})
//	ts := httptest.NewServer(srv.Handler())
//	defer srv.Close() // flushes; a new New on the same DataDir sees all data
//
// Fault injection, to exercise clients' retries:
//
//	srv.SetFaults(esdev.Faults{RejectItemsRatio: 0.2, RejectRequestsRatio: 0.1, Delay: 50 * time.Millisecond})
//
// or, against the esdev binary, the admin endpoint:
//
//	PUT /_esdev/faults {"reject_items_ratio":0.2,"reject_requests_ratio":0.1,"delay":"50ms"}
//	GET /_esdev/faults
//
// RejectItemsRatio answers that share of _bulk items with an item-level 429
// es_rejected_execution_exception; RejectRequestsRatio answers that share of
// write requests (_bulk, _doc, _create) with a whole-request 429; Delay is
// added before every request except GET / and /_esdev/.
//
// Anything esdev does not implement is answered with a 400 naming the
// unsupported part, never with a silently different result. See README.md
// for the supported API.
package esdev
