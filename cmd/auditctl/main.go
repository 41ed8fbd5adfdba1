// Command auditctl searches, exports, verifies and tails auditpipe audit
// events in Elasticsearch (or esdev), through the same query layer as the
// Grafana data source.
//
//	auditctl search  -from 24h -q 'action:bonus.*' -filter actor=emp-1042
//	auditctl export  -format xlsx -from 2026-11-01T00:00:00Z -o november.xlsx
//	auditctl verify  -from 7d
//	auditctl tail    -filter severity=critical
//	auditctl summary -from 24h
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: auditctl <command> [flags]

commands:
  search   print matching events (newest first), one line each
  export   write matching events as csv, xlsx, json or ndjson
  verify   check the tamper-evidence chain; exit status 1 on findings
  tail     follow new matching events
  summary  events by category and severity, and the latest critical events

run "auditctl <command> -h" for the flags.
`

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func(context.Context, *options) error{
		"search": search, "export": exportCmd, "verify": verify, "tail": tail, "summary": summary,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "auditctl: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	opts, err := parseFlags(args[0], args[1:], stdout, stderr)
	if err != nil {
		if err == errHelp {
			return 0
		}
		fmt.Fprintln(stderr, "auditctl:", err)
		return 2
	}
	defer opts.close()
	if err := cmd(ctx, opts); err != nil {
		if err == errFindings {
			return 1
		}
		fmt.Fprintf(stderr, "auditctl %s: %v\n", args[0], err)
		return 1
	}
	if err := opts.close(); err != nil {
		fmt.Fprintf(stderr, "auditctl %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
