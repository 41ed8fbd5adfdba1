package proc

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test binary doubles as the child process: PROC_TEST_CHILD says what it
// does instead of running the tests.
func TestMain(m *testing.M) {
	switch os.Getenv("PROC_TEST_CHILD") {
	case "":
		os.Exit(m.Run())
	case "serve":
		fmt.Println("listening on", os.Args[1])
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM)
		go func() { _ = http.ListenAndServe(os.Args[1], http.NotFoundHandler()) }()
		<-stop
		fmt.Println("stopped cleanly")
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ignoring SIGTERM")
		time.Sleep(time.Minute)
	case "exit":
		os.Exit(3)
	case "spin":
		for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
		}
		time.Sleep(time.Minute)
	}
}

func startChild(t *testing.T, mode string, args ...string) *Process {
	t.Helper()
	p, err := Start(t.TempDir(), os.Args[0], []string{"PROC_TEST_CHILD=" + mode}, args...)
	require.NoError(t, err)
	t.Cleanup(p.Kill)
	return p
}

func TestStartWaitAndStopCleanly(t *testing.T) {
	addr, err := FreeAddr()
	require.NoError(t, err)
	p := startChild(t, "serve", addr)
	require.NoError(t, p.WaitHTTP(context.Background(), "http://"+addr+"/", 30*time.Second))
	assert.True(t, p.Alive())
	assert.Positive(t, p.StatusBytes("VmRSS"))
	assert.Zero(t, p.StatusBytes("NoSuchField"))

	require.NoError(t, p.Stop(10*time.Second))
	assert.False(t, p.Alive())
	assert.Equal(t, "listening on "+addr+"\nstopped cleanly\n", p.LogText())
	assert.NoError(t, p.Stop(time.Second), "stopping an exited process does nothing")
}

func TestFreeAddrsAreDistinctAndFree(t *testing.T) {
	addrs, err := FreeAddrs(50)
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, a := range addrs {
		require.False(t, seen[a], "%s handed out twice", a)
		seen[a] = true
		l, err := net.Listen("tcp", a)
		require.NoError(t, err, "%s is not free after FreeAddrs returned", a)
		require.NoError(t, l.Close())
	}
}

func TestStopKillsAProcessThatIgnoresSIGTERM(t *testing.T) {
	p := startChild(t, "ignore-term")
	require.Eventually(t, func() bool { return strings.Contains(p.LogText(), "ignoring") }, 10*time.Second, 10*time.Millisecond)
	err := p.Stop(200 * time.Millisecond)
	require.ErrorContains(t, err, "did not stop within 200ms of SIGTERM and was killed")
	assert.False(t, p.Alive())
}

func TestWaitHTTPFailsAsSoonAsTheProcessExits(t *testing.T) {
	addr, err := FreeAddr()
	require.NoError(t, err)
	p := startChild(t, "exit")
	start := time.Now()
	err = p.WaitHTTP(context.Background(), "http://"+addr+"/", time.Minute)
	require.ErrorContains(t, err, "exited while starting; see "+p.Log)
	assert.Less(t, time.Since(start), 30*time.Second)
}

func TestWaitHTTPGivesUpAfterWithin(t *testing.T) {
	addr, err := FreeAddr()
	require.NoError(t, err)
	p := startChild(t, "ignore-term")
	err = p.WaitHTTP(context.Background(), "http://"+addr+"/", 300*time.Millisecond)
	require.ErrorContains(t, err, "did not answer at http://"+addr+"/ within 300ms")
}

func TestCPUSecondsCountsWhatTheProcessUsed(t *testing.T) {
	p := startChild(t, "spin")
	require.Eventually(t, func() bool {
		s, err := p.CPUSeconds()
		return err == nil && s >= 0.2
	}, 20*time.Second, 50*time.Millisecond)
}

func TestStartReportsABinaryThatCannotRun(t *testing.T) {
	_, err := Start(t.TempDir(), "/nonexistent/binary", nil)
	require.ErrorContains(t, err, "start binary")
}
