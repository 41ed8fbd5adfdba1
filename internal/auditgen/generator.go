package auditgen

import (
	"math/rand/v2"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/auditpipe/auditpipe/semconv"
)

// Defaults of Options.
const (
	DefaultActors = 200
	DefaultSpan   = 24 * time.Hour
)

// DefaultTenants are the brands events are spread over when Options.Tenants is empty.
var DefaultTenants = []string{"brand-eu", "brand-uk", "brand-latam"}

// Options configure a Generator. The zero value is usable.
type Options struct {
	Seed int64
	// MalformedRatio is the share (0..1) of records that break the
	// conventions on purpose.
	MalformedRatio float64
	// Actors is the number of back-office employees (DefaultActors when 0).
	// Services, system jobs and players come on top.
	Actors  int
	Tenants []string
	// Events get timestamps spread uniformly over [Start, Start+Span).
	// Start defaults to time.Now() minus Span, so the output is only fully
	// reproducible (event ids included) when Start is set.
	Start time.Time
	Span  time.Duration
}

// Item is one generated event.
type Item struct {
	// Event is the event as the emitter sends it: Category and Severity are
	// left to the processor. For a malformed item it already carries the
	// defect when the typed form can express it (a missing or out-of-range
	// value); type errors are applied only by CopyToLogRecord.
	Event   semconv.Event
	Service string // resource service.name
	// Malformed marks a record that breaks the conventions on purpose; Defect
	// names the broken attribute as semconv.Violation.Attribute does.
	Malformed bool
	Defect    string
	// Expected is what the default processor rules should assign. It is zero
	// when the defect leaves nothing to classify (a broken event name).
	Expected Expectation

	breakType func(pcommon.Map) // a defect only pdata can carry
}

// Generator produces a deterministic stream of audit events for a seed.
// It is not safe for concurrent use.
type Generator struct {
	opts     Options
	rng      *rand.Rand
	start    time.Time
	actors   []actor
	services []actor
	systems  []actor
	eligible [][]*actor // per taxonomy entry: employees, services and systems that perform it
	playerOK []bool     // per taxonomy entry: players perform it too
	cumul    []float64  // cumulative taxonomy weights
	secrets  []string
	burst    burst
	scratch  []byte
}

// burst is a pending run of failed logins from one address, the pattern the
// brute-force alert rule looks for.
type burst struct {
	left   int
	ip     string
	at     time.Time
	target string
}

// New returns a generator of the mix described in the package documentation.
func New(opts Options) *Generator {
	if opts.Actors <= 0 {
		opts.Actors = DefaultActors
	}
	if len(opts.Tenants) == 0 {
		opts.Tenants = DefaultTenants
	}
	if opts.Span <= 0 {
		opts.Span = DefaultSpan
	}
	start := opts.Start
	if start.IsZero() {
		start = time.Now().Add(-opts.Span)
	}
	g := &Generator{
		opts:    opts,
		rng:     rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed_a0d1_7c0de)),
		start:   start.UTC(),
		scratch: make([]byte, 0, 512),
	}
	g.actors = g.newEmployees(opts.Actors)
	g.services = g.newServices()
	g.systems = g.newSystemJobs()
	g.indexEligible()
	total := 0.0
	for i := range taxonomy {
		total += taxonomy[i].weight
		g.cumul = append(g.cumul, total)
	}
	return g
}

// Secrets returns every secret value embedded in the events generated so
// far, as it appears in them, so tests can assert none survives redaction.
func (g *Generator) Secrets() []string { return slices.Clone(g.secrets) }

// Next returns the next event.
func (g *Generator) Next() Item {
	if g.burst.left > 0 {
		return g.nextBurstLogin()
	}
	if g.rng.Float64() < burstProbability {
		g.startBurst()
		return g.nextBurstLogin()
	}
	ai := g.pickAction()
	def := &taxonomy[ai]
	a := g.pickActor(ai)
	at := g.randomTime()
	service, tenant := a.service, a.tenant
	switch a.typ {
	case semconv.ActorEmployee:
		service = serviceFor(def.Module)
	case semconv.ActorService, semconv.ActorSystem: // they serve every brand
		tenant = g.opts.Tenants[g.rng.IntN(len(g.opts.Tenants))]
	}
	it := Item{
		Service: service,
		Event: semconv.Event{
			ID:            g.eventID(at),
			Timestamp:     at,
			Action:        def.Action,
			Outcome:       semconv.OutcomeSuccess,
			ActorID:       a.id,
			ActorName:     a.name,
			ActorType:     a.typ,
			ActorRoles:    a.roles,
			Module:        def.Module,
			TargetType:    def.TargetType,
			ClientAddress: g.clientAddress(a),
			UserAgent:     a.userAgent,
			Tenant:        tenant,
			RequestID:     g.hexID("req-", 8),
		},
	}
	if a.typ == semconv.ActorEmployee || a.typ == semconv.ActorPlayer {
		it.Event.SessionID = a.session
	}
	if def.failRate > 0 && g.rng.Float64() < def.failRate {
		it.Event.Outcome = def.failStatus
	}
	def.fill(g, &it, a)
	it.Expected = def.expect(it.Event.Outcome)
	if g.opts.MalformedRatio > 0 && g.rng.Float64() < g.opts.MalformedRatio {
		g.breakItem(&it)
	}
	return it
}

// burstProbability is the chance that an event starts a failed-login burst.
const burstProbability = 0.002

func (g *Generator) startBurst() {
	g.burst = burst{
		left:   8 + g.rng.IntN(13),
		ip:     g.foreignIP(),
		at:     g.randomTime(),
		target: g.actors[g.rng.IntN(len(g.actors))].id,
	}
}

func (g *Generator) nextBurstLogin() Item {
	b := &g.burst
	b.left--
	b.at = b.at.Add(time.Duration(500+g.rng.IntN(2500)) * time.Millisecond)
	user := b.target
	if g.rng.IntN(3) == 0 { // credential stuffing tries other names too
		user = g.actors[g.rng.IntN(len(g.actors))].id
	}
	def := &taxonomy[0]
	it := Item{
		Service: serviceAdmin,
		Event: semconv.Event{
			ID:            g.eventID(b.at),
			Timestamp:     b.at,
			Action:        def.Action,
			Outcome:       semconv.OutcomeFailure,
			ActorID:       user,
			ActorType:     semconv.ActorEmployee,
			Module:        def.Module,
			TargetType:    def.TargetType,
			ClientAddress: b.ip,
			UserAgent:     "python-requests/2.32.3",
			Tenant:        g.opts.Tenants[g.rng.IntN(len(g.opts.Tenants))],
			RequestID:     g.hexID("req-", 8),
			Comment:       "invalid password",
			Tags:          []string{"burst"},
		},
	}
	it.Expected = def.expect(it.Event.Outcome)
	return it
}

// pickAction returns the index in taxonomy of a weighted random action.
func (g *Generator) pickAction() int {
	x := g.rng.Float64() * g.cumul[len(g.cumul)-1]
	for i, c := range g.cumul {
		if x < c {
			return i
		}
	}
	return len(taxonomy) - 1
}

// pickActor chooses who performs taxonomy[i]: a player for self-service actions now
// and then, otherwise one of the eligible employees, services or jobs.
func (g *Generator) pickActor(i int) *actor {
	cands := g.eligible[i]
	if g.playerOK[i] && (len(cands) == 0 || g.rng.IntN(3) == 0) {
		return g.player()
	}
	return cands[g.rng.IntN(len(cands))]
}

func (g *Generator) randomTime() time.Time {
	return g.start.Add(time.Duration(g.rng.Int64N(int64(g.opts.Span))))
}

// eventID returns a ULID (48-bit millisecond time, 80 random bits, Crockford
// base32) drawn from the seeded source: unique in practice and reproducible.
func (g *Generator) eventID(at time.Time) string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	ms := uint64(at.UnixMilli())
	hi, lo := g.rng.Uint64(), g.rng.Uint64()
	var b [26]byte
	// 128 bits = ms (48) | 80 random bits; encode as 26 characters of 5 bits,
	// the first carrying only 3.
	w0 := ms<<16 | hi>>48 // top 64 bits
	w1 := hi<<16 | lo&0xffff
	for i := 25; i >= 0; i-- {
		b[i] = alphabet[w1&31]
		w1 = w1>>5 | w0<<59
		w0 >>= 5
	}
	return string(b[:])
}

func (g *Generator) hexID(prefix string, nbytes int) string {
	const hexdigits = "0123456789abcdef"
	b := append(g.scratch[:0], prefix...)
	for i := 0; i < nbytes; i += 8 {
		v := g.rng.Uint64()
		for j := 0; j < 8 && i+j < nbytes; j++ {
			b = append(b, hexdigits[v>>4&15], hexdigits[v&15])
			v >>= 8
		}
	}
	return string(b)
}
