// Package auditgen generates a realistic, deterministic back-office audit
// load: employees with roles (support, finance_manager, bonus_manager, admin,
// risk_analyst, marketing), services, system jobs and self-service players
// across several brands, doing the actions below with realistic old and new
// values. The load generator (cmd/auditgen), the Elasticsearch benchmark and
// the component and end-to-end tests share it, and reconcile what they stored
// against Item.Expected, Counts and Secrets.
//
// # Taxonomy
//
// Expected category and severity are what the default processor rules
// assign. Actions returns this table; Expect looks one action up.
//
//	action                 module     category       severity  on failure/denied
//	auth.login             auth       login          info      medium
//	auth.logout            auth       login          info      info
//	report.view            reports    export_access  info      low
//	report.export          reports    export_access  medium    medium
//	api.access             api        export_access  info      medium
//	player.profile_update  players    data_change    low       low
//	player.balance_adjust  finance    financial      high      medium
//	bonus.create           bonuses    create         low       low
//	bonus.grant            bonuses    financial      medium    medium
//	bonus.manual_grant     bonuses    critical       critical  high
//	transaction.delete     finance    delete         high      high
//	banner.add             content    create         info      info
//	role.assign            employees  critical       high      high
//	role.revoke            employees  rights         medium    medium
//	employee.lock          employees  critical       high      high
//	withdrawal.cancel      payments   critical       critical  high
//	promotion.disable      campaigns  critical       high      high
//	settings.update        settings   config         medium    medium
//
// Now and then (0.2% of events) a burst of 8 to 20 failed auth.login events
// comes from one hosting-range address within a minute, tagged "burst", the
// pattern a brute-force alert rule looks for.
//
// # Secrets
//
// Change values and comments sometimes carry secrets, so that redaction has
// work. Secrets returns every one embedded so far. They appear as:
//   - JSON keys password, temp_password, token, api_token, card_number,
//     iban, email, phone (in audit.change.old/new, nested objects included);
//   - free text in audit.comment: "password=<value>", "Bearer <JWT>",
//     "api_key=<token>", a card number after "card ", a phone number after
//     "called from ".
//
// Card numbers are Luhn-valid (Visa, Mastercard, Amex), IBANs checksum-valid
// (DE, GB, ES), phones E.164, tokens "sk_live_…" or "apt_…", JWTs HS256-shaped.
//
// # Malformed records
//
// With Options.MalformedRatio, an item breaks exactly one attribute
// (Item.Defect, named as semconv.Violation.Attribute names it): a missing or
// wrongly typed user.id, a missing or space-containing log.record.uid, a
// missing or non-identifier audit.module, a missing or unknown outcome, a
// missing or non-dotted event name, no timestamp, a client.address that is
// not an IP, an unknown actor type or category, user.roles as a string,
// audit.tags with a number in it. Defects lists them.
package auditgen
