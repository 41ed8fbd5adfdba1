package auditgen

import (
	"slices"
	"strconv"

	"github.com/auditpipe/auditpipe/semconv"
)

// Services (resource service.name) that emit the generated events.
const (
	serviceAdmin     = "backoffice-admin"
	serviceFinance   = "backoffice-finance"
	serviceMarketing = "backoffice-marketing"
	servicePortal    = "player-portal"
	serviceScheduler = "scheduler"
)

type actor struct {
	id, name, typ string
	roles         []string
	tenant        string
	service       string // fixed for services and jobs; by module for employees
	homeIP        string
	userAgent     string
	session       string
	actions       []string // for services and jobs: what they do
}

var (
	firstInitials = "abcdeghijklmnoprstvz"
	lastNames     = []string{"petrova", "ivanov", "smith", "garcia", "muller", "rossi", "kowalski", "silva",
		"novak", "jones", "fernandez", "schmidt", "costa", "dubois", "nielsen", "horvat", "lopez",
		"brown", "vasquez", "berg", "mendes", "walsh", "ozturk", "papadopoulos", "jensen"}
	browserAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
		"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
	}
	mobileAgents = []string{
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
		"Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
		"CasinoApp/5.12.0 (Android 13; Pixel 7)",
	}
	// officeNets are the first three octets of each brand's office range
	// (documentation ranges, so generated data never names a real network).
	officeNets = []string{"203.0.113.", "198.51.100.", "192.0.2."}
	// roleWeights make support the most common role and admin a rare one.
	roleWeights = []int{35, 15, 15, 5, 10, 20}
)

func (g *Generator) newEmployees(n int) []actor {
	out := make([]actor, n)
	for i := range out {
		a := &out[i]
		a.id = "emp-" + strconv.Itoa(1000+i)
		// Names follow from the index so they are unique like the ids.
		a.name = firstInitials[i%len(firstInitials):i%len(firstInitials)+1] + "." +
			lastNames[i/len(firstInitials)%len(lastNames)]
		if i >= len(firstInitials)*len(lastNames) {
			a.name += strconv.Itoa(i / (len(firstInitials) * len(lastNames)))
		}
		a.typ = semconv.ActorEmployee
		// The first employees cover every role once so each action has someone to do it.
		role := Roles[i%len(Roles)]
		if i >= len(Roles) {
			role = Roles[g.weightedIndex(roleWeights)]
		}
		a.roles = []string{role}
		if g.rng.IntN(5) == 0 {
			if extra := Roles[g.weightedIndex(roleWeights)]; extra != role {
				a.roles = append(a.roles, extra)
			}
		}
		t := g.rng.IntN(len(g.opts.Tenants))
		a.tenant = g.opts.Tenants[t]
		a.homeIP = officeNets[t%len(officeNets)] + strconv.Itoa(10+g.rng.IntN(240))
		a.userAgent = browserAgents[g.rng.IntN(len(browserAgents))]
		a.session = g.hexID("sess-", 6)
	}
	return out
}

func (g *Generator) newServices() []actor {
	specs := []struct {
		name    string
		actions []string
	}{
		{"payments-gateway", []string{"player.balance_adjust", "api.access"}},
		{"bonus-engine", []string{"bonus.grant", "api.access"}},
		{"crm-sync", []string{"api.access"}},
		{"affiliate-api", []string{"api.access"}},
		{"kyc-provider", []string{"api.access"}},
	}
	out := make([]actor, len(specs))
	for i, s := range specs {
		out[i] = actor{
			id: "svc-" + s.name, name: s.name, typ: semconv.ActorService, service: s.name,
			tenant:    g.opts.Tenants[i%len(g.opts.Tenants)],
			homeIP:    "10.40.0." + strconv.Itoa(11+i),
			userAgent: s.name + "/2." + strconv.Itoa(i) + ".1 (go-http-client)",
			actions:   s.actions,
		}
	}
	return out
}

func (g *Generator) newSystemJobs() []actor {
	specs := []struct {
		name    string
		actions []string
	}{
		{"promo-scheduler", []string{"promotion.disable"}},
		{"risk-scanner", []string{"employee.lock"}},
		{"cashback-job", []string{"bonus.grant"}},
	}
	out := make([]actor, len(specs))
	for i, s := range specs {
		out[i] = actor{
			id: "job-" + s.name, name: s.name, typ: semconv.ActorSystem, service: serviceScheduler,
			tenant: g.opts.Tenants[i%len(g.opts.Tenants)], homeIP: "10.40.1." + strconv.Itoa(11+i),
			actions: s.actions,
		}
	}
	return out
}

// indexEligible lists, per action, the employees (by role), services and jobs
// that perform it. An action nobody can perform (too few employees for every
// role) falls back to all employees.
func (g *Generator) indexEligible() {
	g.eligible = make([][]*actor, len(taxonomy))
	g.playerOK = make([]bool, len(taxonomy))
	for i := range taxonomy {
		def := &taxonomy[i]
		g.playerOK[i] = def.byPlayers
		var cands []*actor
		for j := range g.actors {
			if slices.ContainsFunc(g.actors[j].roles, func(r string) bool { return slices.Contains(def.roles, r) }) {
				cands = append(cands, &g.actors[j])
			}
		}
		for _, pool := range [][]actor{g.services, g.systems} {
			for j := range pool {
				if slices.Contains(pool[j].actions, def.Action) {
					cands = append(cands, &pool[j])
				}
			}
		}
		if len(cands) == 0 && !def.byPlayers {
			for j := range g.actors {
				cands = append(cands, &g.actors[j])
			}
		}
		g.eligible[i] = cands
	}
}

func (g *Generator) player() *actor {
	return &actor{
		id:        "p-" + strconv.Itoa(100000+g.rng.IntN(900000)),
		typ:       semconv.ActorPlayer,
		tenant:    g.opts.Tenants[g.rng.IntN(len(g.opts.Tenants))],
		service:   servicePortal,
		homeIP:    g.publicIP(),
		userAgent: mobileAgents[g.rng.IntN(len(mobileAgents))],
		session:   g.hexID("sess-", 6),
	}
}

// serviceFor returns the back-office service an employee uses for module.
func serviceFor(module string) string {
	switch module {
	case semconv.ModuleFinance, semconv.ModulePayments:
		return serviceFinance
	case semconv.ModuleBonuses, semconv.ModuleCampaigns, semconv.ModuleContent:
		return serviceMarketing
	}
	return serviceAdmin
}

// clientAddress is mostly the actor's office address; employees sometimes
// work over a home connection.
func (g *Generator) clientAddress(a *actor) string {
	if a.typ == semconv.ActorEmployee && g.rng.IntN(8) == 0 {
		return g.publicIP()
	}
	return a.homeIP
}

// publicIP returns a random public-looking address; one in twenty is IPv6
// (documentation prefix).
func (g *Generator) publicIP() string {
	if g.rng.IntN(20) == 0 {
		return "2001:db8:" + strconv.FormatUint(uint64(g.rng.IntN(0xffff)), 16) + "::" + strconv.FormatUint(uint64(1+g.rng.IntN(0xfffe)), 16)
	}
	firstOctets := []int{31, 37, 46, 62, 77, 81, 85, 89, 91, 94, 109, 151, 176, 178, 185, 187, 189, 200, 201, 212}
	b := strconv.AppendInt(g.scratch[:0], int64(firstOctets[g.rng.IntN(len(firstOctets))]), 10)
	for range 3 {
		b = append(b, '.')
		b = strconv.AppendInt(b, int64(g.rng.IntN(256)), 10)
	}
	return string(b)
}

// foreignIP is where brute-force bursts come from: hosting ranges.
func (g *Generator) foreignIP() string {
	nets := []string{"45.155.205.", "185.220.101.", "91.240.118."}
	return nets[g.rng.IntN(len(nets))] + strconv.Itoa(1+g.rng.IntN(254))
}

func (g *Generator) weightedIndex(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := g.rng.IntN(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}
