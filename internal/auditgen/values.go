package auditgen

import (
	"strconv"
	"time"

	"github.com/auditpipe/auditpipe/semconv"
)

// fillFunc completes an item for one action: target id, old and new values,
// comment, tags and body. The outcome is already decided.
type fillFunc func(g *Generator, it *Item, a *actor)

var (
	reports       = []string{"deposits-daily", "ggr-by-game", "player-ltv", "bonus-cost", "chargebacks", "aml-alerts", "affiliate-payouts"}
	endpoints     = []string{"/api/v1/players/", "/api/v1/reports/deposits", "/api/v2/bonuses", "/internal/admin/users", "/api/v1/withdrawals/"}
	bonusNames    = []string{"Welcome 100%", "Reload Friday 50%", "Cashback 10%", "200 Free Spins", "VIP Birthday Gift"}
	adjustReasons = []string{"chargeback reversal, ticket ", "goodwill gesture, ticket ", "duplicate deposit correction, ticket ", "manual refund of failed bet, ticket "}
	cities        = []string{"Berlin", "Madrid", "Manchester", "Guadalajara", "Valletta", "Porto"}
)

// currency returns the currency of the tenant: EUR, GBP and MXN for the
// default brands, EUR for any other.
func (g *Generator) currency(tenant string) string {
	for i, t := range g.opts.Tenants {
		if t == tenant && i < 3 {
			return [...]string{"EUR", "GBP", "MXN"}[i]
		}
	}
	return "EUR"
}

func (g *Generator) playerID() string { return "p-" + strconv.Itoa(100000+g.rng.IntN(900000)) }

func (g *Generator) ticket() string { return strconv.Itoa(1000 + g.rng.IntN(9000)) }

func (g *Generator) chance(percent int) bool { return g.rng.IntN(100) < percent }

func pick[T any](g *Generator, xs []T) T { return xs[g.rng.IntN(len(xs))] }

func fillLogin(g *Generator, it *Item, a *actor) {
	it.Event.TargetID = it.Event.SessionID
	if it.Event.Outcome == semconv.OutcomeSuccess {
		return
	}
	switch {
	case g.chance(4): // the password typed into the wrong field ends up in the log
		it.Event.Comment = "login failed, password=" + g.password()
	case g.chance(30):
		it.Event.Comment = "2FA code rejected"
	default:
		it.Event.Comment = "invalid password"
	}
}

func fillLogout(_ *Generator, it *Item, _ *actor) { it.Event.TargetID = it.Event.SessionID }

func fillReportView(g *Generator, it *Item, _ *actor) { it.Event.TargetID = pick(g, reports) }

func fillReportExport(g *Generator, it *Item, _ *actor) {
	report, format := pick(g, reports), pick(g, []string{"csv", "xlsx"})
	rows := 100 + g.rng.IntN(200000)
	it.Event.TargetID = report
	it.Event.NewValue = newJSON().obj().key("report").str(report).key("format").str(format).
		key("rows").int(rows).key("filters").obj().key("from").str("2026-11-01").key("to").str("2026-11-22").
		key("country").strs(pick(g, [][]string{{"DE", "AT"}, {"GB"}, {"MX"}, {"ES", "PT"}})...).end().end().String()
	it.Event.Tags = []string{"export", format}
	it.Event.Body = "exported " + report + " as " + format + " (" + strconv.Itoa(rows) + " rows)"
}

func fillAPIAccess(g *Generator, it *Item, a *actor) {
	path := pick(g, endpoints)
	if path[len(path)-1] == '/' {
		path += strconv.Itoa(100000 + g.rng.IntN(900000))
	}
	it.Event.TargetID = path
	comment := pick(g, []string{"GET ", "POST ", "GET ", "PATCH "}) + path
	switch {
	case g.chance(8):
		comment += " Authorization: Bearer " + g.jwt(a.id, it.Event.Timestamp.Unix())
	case g.chance(7):
		comment += "?api_key=" + g.apiToken()
	}
	if it.Event.Outcome == semconv.OutcomeDenied {
		comment += " -> 403 missing scope"
	}
	it.Event.Comment = comment
}

func fillProfileUpdate(g *Generator, it *Item, a *actor) {
	it.Event.TargetID = g.playerID()
	if a.typ == semconv.ActorPlayer {
		it.Event.TargetID = a.id
	}
	if g.chance(5) { // a legacy form logs free text instead of JSON
		it.Event.OldValue, it.Event.NewValue = "n/a", "profile updated via legacy form"
		return
	}
	old, upd := newJSON().obj(), newJSON().obj()
	switch g.rng.IntN(5) {
	case 0:
		old.key("email").str(g.email())
		upd.key("email").str(g.email())
	case 1:
		old.key("phone").str(g.phone())
		upd.key("phone").str(g.phone())
	case 2:
		old.key("address").obj().key("city").str(pick(g, cities)).key("zip").str(strconv.Itoa(10000 + g.rng.IntN(89999))).end()
		upd.key("address").obj().key("city").str(pick(g, cities)).key("zip").str(strconv.Itoa(10000 + g.rng.IntN(89999))).end()
	case 3:
		on := g.chance(50)
		old.key("marketing_opt_in").bool(on).key("channels").strs("email")
		upd.key("marketing_opt_in").bool(!on).key("channels").strs("email", "sms", "push")
	default:
		old.key("limits").obj().key("deposit_daily").int(500).key("deposit_weekly").int(2000).end()
		upd.key("limits").obj().key("deposit_daily").int(100 * (1 + g.rng.IntN(5))).key("deposit_weekly").int(1000).end()
	}
	if a.typ == semconv.ActorEmployee && g.chance(8) { // a reset password logged in clear
		upd.key("password").str(g.password())
	}
	it.Event.OldValue, it.Event.NewValue = old.end().String(), upd.end().String()
	if a.typ == semconv.ActorEmployee && g.chance(10) {
		it.Event.Comment = "customer called from " + g.phone() + ", identity verified"
	}
}

func fillBalanceAdjust(g *Generator, it *Item, a *actor) {
	cur := g.currency(it.Event.Tenant)
	before, delta := g.rng.IntN(500000), (g.rng.IntN(40000) - 10000)
	it.Event.TargetID = g.playerID()
	it.Event.OldValue = newJSON().obj().key("balance").money(before).key("currency").str(cur).end().String()
	it.Event.NewValue = newJSON().obj().key("balance").money(before + delta).key("currency").str(cur).end().String()
	if a.typ == semconv.ActorEmployee {
		it.Event.Comment = pick(g, adjustReasons) + g.ticket()
		it.Event.Tags = []string{"manual"}
	}
	it.Event.Body = "adjusted balance of player " + it.Event.TargetID + " by " + money(delta) + " " + cur
}

func fillBonusCreate(g *Generator, it *Item, _ *actor) {
	it.Event.TargetID = "B-" + strconv.Itoa(10000+g.rng.IntN(90000))
	it.Event.NewValue = newJSON().obj().key("bonus_id").str(it.Event.TargetID).key("name").str(pick(g, bonusNames)).
		key("type").str(pick(g, []string{"deposit_match", "free_spins", "cashback"})).key("percent").int(10 * (1 + g.rng.IntN(20))).
		key("max_amount").int(50 * (1 + g.rng.IntN(20))).key("wagering").int(pick(g, []int{0, 20, 35, 40})).
		key("games").strs(pick(g, [][]string{{"slots"}, {"slots", "live_casino"}, {"sportsbook"}})...).
		key("valid_days").int(pick(g, []int{7, 14, 30})).end().String()
}

func (g *Generator) bonusChange(it *Item, cents int) {
	before := g.rng.IntN(20000)
	bonusID := "B-" + strconv.Itoa(10000+g.rng.IntN(90000))
	it.Event.TargetID = g.playerID()
	it.Event.OldValue = newJSON().obj().key("bonus_balance").money(before).end().String()
	it.Event.NewValue = newJSON().obj().key("bonus_balance").money(before + cents).key("bonus_id").str(bonusID).end().String()
}

func fillBonusGrant(g *Generator, it *Item, _ *actor) {
	g.bonusChange(it, 500*(1+g.rng.IntN(20)))
}

func fillManualBonus(g *Generator, it *Item, _ *actor) {
	cents := 5000 * (1 + g.rng.IntN(40))
	g.bonusChange(it, cents)
	it.Event.Comment = pick(g, []string{"compensation for outage, ticket ", "VIP retention offer, ticket ", "complaint settlement, ticket "}) + g.ticket()
	it.Event.Tags = []string{"manual"}
	if g.chance(30) {
		it.Event.Tags = append(it.Event.Tags, "vip")
	}
	it.Event.Body = "granted " + money(cents) + " " + g.currency(it.Event.Tenant) + " manual bonus to player " + it.Event.TargetID
}

func fillTransactionDelete(g *Generator, it *Item, _ *actor) {
	it.Event.TargetID = g.hexID("tx-", 6)
	old := newJSON().obj().key("tx_id").str(it.Event.TargetID).key("player_id").str(g.playerID()).
		key("amount").money(1000 + g.rng.IntN(100000)).key("currency").str(g.currency(it.Event.Tenant))
	if g.chance(60) {
		old.key("method").str("card").key("card_number").str(g.cardNumber())
	} else {
		old.key("method").str("bank_transfer").key("iban").str(g.iban())
	}
	it.Event.OldValue = old.key("created_at").str(it.Event.Timestamp.Add(-72 * time.Hour).Format("2006-01-02T15:04:05Z")).end().String()
	it.Event.Comment = pick(g, []string{"duplicate entry", "test transaction on production", "reversed by PSP, ticket " + g.ticket()})
}

func fillBannerAdd(g *Generator, it *Item, _ *actor) {
	it.Event.TargetID = "bn-" + strconv.Itoa(100+g.rng.IntN(9000))
	it.Event.NewValue = newJSON().obj().key("title").str(pick(g, []string{"Black Friday 200 free spins", "Weekend reload 50%", "New live tables"})).
		key("url").str("https://" + it.Event.Tenant + ".example/promo/" + it.Event.TargetID).
		key("position").str(pick(g, []string{"home_top", "lobby_side", "cashier"})).
		key("locales").strs(pick(g, [][]string{{"en"}, {"en", "de"}, {"es", "en"}})...).end().String()
}

// employeeTarget picks the employee an admin acts on.
func (g *Generator) employeeTarget(it *Item) *actor {
	t := &g.actors[g.rng.IntN(len(g.actors))]
	it.Event.TargetID = t.id
	return t
}

func fillRoleAssign(g *Generator, it *Item, _ *actor) {
	t := g.employeeTarget(it)
	added := pick(g, Roles)
	it.Event.OldValue = newJSON().strs(t.roles...).String()
	it.Event.NewValue = newJSON().strs(append(t.roles[:len(t.roles):len(t.roles)], added)...).String()
	it.Event.Comment = "approved in SEC-" + g.ticket()
}

func fillRoleRevoke(g *Generator, it *Item, _ *actor) {
	t := g.employeeTarget(it)
	it.Event.OldValue = newJSON().strs(append(t.roles[:len(t.roles):len(t.roles)], pick(g, Roles))...).String()
	it.Event.NewValue = newJSON().strs(t.roles...).String()
}

func fillEmployeeLock(g *Generator, it *Item, a *actor) {
	g.employeeTarget(it)
	if g.chance(15) {
		it.Event.OldValue, it.Event.NewValue = "active", "locked"
	} else {
		it.Event.OldValue = newJSON().obj().key("status").str("active").key("failed_logins").int(g.rng.IntN(10)).end().String()
		upd := newJSON().obj().key("status").str("locked").key("reason").str(pick(g, []string{"offboarding", "suspicious activity", "policy violation"}))
		if g.chance(20) {
			upd.key("temp_password").str(g.password())
		}
		it.Event.NewValue = upd.end().String()
	}
	if a.typ == semconv.ActorSystem {
		it.Event.Comment = "locked automatically after repeated failed logins"
	}
}

func fillWithdrawalCancel(g *Generator, it *Item, _ *actor) {
	it.Event.TargetID = "wd-" + strconv.Itoa(1000000+g.rng.IntN(9000000))
	cents := 2000 + g.rng.IntN(500000)
	cur := g.currency(it.Event.Tenant)
	old := newJSON().obj().key("status").str("pending").key("amount").money(cents).key("currency").str(cur)
	if g.chance(70) {
		old.key("method").str("bank_transfer").key("iban").str(g.iban())
	} else {
		old.key("method").str("card").key("card_number").str(g.cardNumber())
	}
	it.Event.OldValue = old.end().String()
	reason := pick(g, []string{"suspected bonus abuse", "player request", "KYC documents missing", "duplicate request"})
	it.Event.NewValue = newJSON().obj().key("status").str("cancelled").key("reason").str(reason).end().String()
	it.Event.Comment = reason
	if g.chance(5) {
		it.Event.Comment += ", funds to be returned to card " + g.cardNumber()
	}
	it.Event.Body = "cancelled withdrawal " + it.Event.TargetID + " of " + money(cents) + " " + cur
}

func fillPromotionDisable(g *Generator, it *Item, a *actor) {
	it.Event.TargetID = "promo-" + strconv.Itoa(100+g.rng.IntN(900))
	if g.chance(50) {
		it.Event.OldValue, it.Event.NewValue = "true", "false"
	} else {
		it.Event.OldValue = newJSON().obj().key("enabled").bool(true).key("ends_at").str("2026-12-31T23:59:59Z").end().String()
		it.Event.NewValue = newJSON().obj().key("enabled").bool(false).end().String()
	}
	if a.typ == semconv.ActorSystem {
		it.Event.Comment = "budget exhausted"
	} else {
		it.Event.Comment = pick(g, []string{"abuse detected", "budget exhausted", "legal request"})
	}
}

var settingKeys = []string{"payments.max_withdrawal", "smtp", "kyc.provider", "maintenance_mode", "limits.deposit_default", "integrations.sms_gateway"}

func fillSettingsUpdate(g *Generator, it *Item, _ *actor) {
	key := pick(g, settingKeys)
	it.Event.TargetID = key
	switch key {
	case "payments.max_withdrawal":
		it.Event.OldValue, it.Event.NewValue = "5000", strconv.Itoa(1000*(1+g.rng.IntN(20)))
	case "smtp":
		smtp := func() string {
			return newJSON().obj().key("host").str("smtp." + it.Event.Tenant + ".example").key("port").int(587).
				key("user").str("noreply").key("password").str(g.password()).end().String()
		}
		it.Event.OldValue, it.Event.NewValue = smtp(), smtp()
	case "kyc.provider":
		it.Event.OldValue = newJSON().obj().key("provider").str("sumsub").key("api_token").str(g.apiToken()).end().String()
		it.Event.NewValue = newJSON().obj().key("provider").str("onfido").key("api_token").str(g.apiToken()).end().String()
	case "maintenance_mode":
		it.Event.OldValue, it.Event.NewValue = "maintenance mode: off", "maintenance mode: on"
	case "limits.deposit_default":
		it.Event.OldValue = newJSON().obj().key("deposit_daily").int(1000).key("deposit_weekly").int(5000).end().String()
		it.Event.NewValue = newJSON().obj().key("deposit_daily").int(500).key("deposit_weekly").int(2500).end().String()
	default:
		it.Event.OldValue = newJSON().obj().key("url").str("https://sms.example/v1").key("auth").obj().
			key("username").str("api").key("token").str(g.apiToken()).end().end().String()
		it.Event.NewValue = newJSON().obj().key("url").str("https://sms.example/v2").key("auth").obj().
			key("username").str("api").key("token").str(g.apiToken()).end().end().String()
	}
}
