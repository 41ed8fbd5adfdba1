// Command example emits a few back-office audit events with auditlog and
// exports them over OTLP/gRPC to a local collector:
//
//	go run ./auditlog/example -endpoint 127.0.0.1:4317
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/auditpipe/auditpipe/auditlog"
	"github.com/auditpipe/auditpipe/semconv"
)

func main() {
	endpoint := flag.String("endpoint", "127.0.0.1:4317", "OTLP/gRPC endpoint of the collector (plaintext)")
	service := flag.String("service", "backoffice-example", "service.name of the emitting service")
	flag.Parse()
	if err := run(context.Background(), *endpoint, *service, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, endpoint, service string, out io.Writer) (err error) {
	exporter, err := otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(endpoint), otlploggrpc.WithInsecure())
	if err != nil {
		return fmt.Errorf("create exporter: %w", err)
	}
	provider := sdklog.NewLoggerProvider(
		sdklog.WithResource(resource.NewSchemaless(attribute.String(semconv.AttrServiceName, service))),
		sdklog.WithProcessor(sdklog.NewBatchProcessor(exporter)),
	)
	// Shutdown flushes the batch: an audit event must not be lost on exit.
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err = errors.Join(err, provider.Shutdown(shutdownCtx))
	}()

	audit := auditlog.New(provider, auditlog.WithTenant("brand-eu"))
	petrova := auditlog.Actor{ID: "emp-1042", Name: "a.petrova", Type: semconv.ActorEmployee, Roles: []string{"bonus_manager"}}
	for _, e := range []auditlog.Event{
		{
			Actor: petrova, Action: "bonus.manual_grant", Module: semconv.ModuleBonuses,
			Target: auditlog.Target{Type: "player", ID: "8812"},
			Old:    map[string]any{"bonus_balance": 0}, New: map[string]any{"bonus_balance": 500, "currency": "EUR"},
			Comment: "compensation for outage, ticket 5521", Tags: []string{"manual"},
			Message: "granted 500 EUR manual bonus to player 8812", ClientIP: "203.0.113.24",
		},
		{
			Actor:  auditlog.Actor{ID: "emp-2001", Name: "j.berg", Type: semconv.ActorEmployee, Roles: []string{"finance_manager"}},
			Action: "withdrawal.cancel", Module: semconv.ModulePayments,
			Target: auditlog.Target{Type: "withdrawal", ID: "wd-7731002"},
			Old:    map[string]any{"status": "pending", "amount": 1250.0}, New: map[string]any{"status": "cancelled"},
			Comment: "KYC documents missing", ClientIP: "203.0.113.51",
		},
		{
			Actor: petrova, Action: "auth.login", Module: semconv.ModuleAuth, Outcome: semconv.OutcomeFailure,
			Comment: "invalid password", ClientIP: "185.220.101.7",
		},
	} {
		id, err := audit.Emit(ctx, e)
		if err != nil {
			return fmt.Errorf("emit %s: %w", e.Action, err)
		}
		fmt.Fprintf(out, "%s %s\n", id, e.Action)
	}
	return nil
}
