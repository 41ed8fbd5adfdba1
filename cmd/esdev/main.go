// Command esdev runs the esdev development Elasticsearch stand-in.
// It is not for production; see internal/esdev/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/auditpipe/auditpipe/internal/esdev"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		log.Fatal(err)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("esdev", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9200", "listen address")
	data := fs.String("data", "./data/esdev", "data directory")
	refresh := fs.Duration("refresh", time.Second, "refresh interval (negative: only explicit refresh)")
	rejectItems := fs.Float64("fault-reject-items", 0, "share (0..1) of bulk items answered with 429")
	rejectRequests := fs.Float64("fault-reject-requests", 0, "share (0..1) of write requests answered with 429")
	delay := fs.Duration("fault-delay", 0, "delay added to every request")
	seed := fs.Uint64("fault-seed", 1, "seed of the fault injection random source")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv, err := esdev.New(esdev.Config{
		DataDir: *data, RefreshInterval: *refresh, FaultSeed: *seed,
		Faults: esdev.Faults{RejectItemsRatio: *rejectItems, RejectRequestsRatio: *rejectRequests, Delay: *delay},
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, srv, *addr, os.Stdout)
}

// serve runs until ctx is done, then stops accepting requests and flushes.
func serve(ctx context.Context, srv *esdev.Server, addr string, out io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = srv.Close()
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(out, "esdev listening on http://%s (not for production)\n", ln.Addr())
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if serr := hs.Shutdown(shutdownCtx); serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, srv.Close())
}
