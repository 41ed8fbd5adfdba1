package auditprocessor // import "github.com/auditpipe/auditpipe/processor/auditprocessor"

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/auditpipe/auditpipe/semconv"
)

// redactedText replaces a match dropped from inside a longer text.
const redactedText = "[REDACTED]"

// notRedacted reports the attributes that identify the event and its actor.
// They are never redacted: an audit trail must say who did what, and
// redacting an id or a hash would break de-duplication and the chain. (A
// switch: it is asked for every attribute of every event, and beats a map.)
func notRedacted(key string) bool {
	switch key {
	case semconv.AttrEventID, semconv.AttrActorID, semconv.AttrActorName,
		semconv.AttrActorRoles, semconv.AttrActorType, semconv.AttrActionCategory,
		semconv.AttrActionOutcome, semconv.AttrSeverity, semconv.AttrModule,
		semconv.AttrTargetType, semconv.AttrTenant, semconv.AttrRequestID,
		semconv.AttrSessionID, semconv.AttrClientAddress, semconv.AttrUserAgent,
		semconv.AttrChangeFields, semconv.AttrChangeDiff, semconv.AttrRedactedFields,
		semconv.AttrChainStream, semconv.AttrChainSeq, semconv.AttrChainHash,
		semconv.AttrValidationError, semconv.AttrIngestPrincipal,
		// Handled as parsed JSON by redactChange.
		semconv.AttrChangeOld, semconv.AttrChangeNew:
		return true
	}
	return false
}

// detector finds sensitive values inside text.
type detector struct {
	re *regexp.Regexp
	// requires are byte classes a text must all have for the regex to
	// match; tested inline, it spares most texts the call to worthScanning.
	requires byteClass
	// worthScanning, when set, is a further cheap test that rules out most
	// texts before the regex runs (regexes are the processor's main
	// per-event cost).
	worthScanning func(s string, f textFeatures) bool
	// valid confirms a regex match (checksums); nil accepts every match.
	valid func(match string) bool
}

type redactRule struct {
	name   string
	action Action
	// keys are normalised key names (lower case, no separators).
	keys []string
	det  *detector
}

// mayMatch tells whether the regex is worth running on s, whose features
// are f.
func (d *detector) mayMatch(s string, f textFeatures) bool {
	return f.marks&d.requires == d.requires && (d.worthScanning == nil || d.worthScanning(s, f))
}

// builtinRedactionRules returns the default rules, in evaluation order:
// vendor tokens and credentials before numbers, so a token with digits is
// not half-masked as a card first.
func builtinRedactionRules() []redactRule {
	return []redactRule{
		{name: "secret", action: ActionDrop, keys: normaliseKeys(
			"password", "passwd", "pwd", "passphrase", "secret", "client_secret", "token", "access_token",
			"refresh_token", "id_token", "auth_token", "session_token", "api_key", "apikey", "access_key",
			"secret_key", "private_key", "authorization", "cookie", "set_cookie", "otp", "totp", "mfa_code",
			"recovery_code", "security_answer", "credentials")},
		{name: "card_security", action: ActionDrop, keys: normaliseKeys(
			"cvv", "cvv2", "cvc", "cvc2", "cid", "security_code", "pin", "pin_code", "card_pin")},
		{name: "api_token", action: ActionDrop, det: &detector{
			re: regexp.MustCompile(`\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}|\bxox[abprs]-[A-Za-z0-9-]{10,}|\bAIza[0-9A-Za-z_-]{35}|\bglpat-[0-9A-Za-z_-]{20,}`),
			worthScanning: func(s string, f textFeatures) bool {
				if f.upper > 0 && (strings.Contains(s, "AKIA") || strings.Contains(s, "AIza")) {
					return true
				}
				// Every other form has a '_' or a '-' after its prefix.
				if f.has(classUnderscore) && (strings.Contains(s, "_live_") || strings.Contains(s, "_test_") || hasGitHubTokenPrefix(s)) {
					return true
				}
				return f.has(classDash) && (strings.Contains(s, "xox") || strings.Contains(s, "glpat-"))
			},
		}},
		{name: "private_key", action: ActionDrop, det: &detector{
			re:            regexp.MustCompile(`(?s)-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`),
			requires:      classUpper | classSpace,
			worthScanning: func(s string, _ textFeatures) bool { return strings.Contains(s, "PRIVATE KEY") },
		}},
		{name: "jwt", action: ActionDrop, det: &detector{
			re:            regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`),
			requires:      classUpper,
			worthScanning: func(s string, _ textFeatures) bool { return strings.Contains(s, "eyJ") },
		}},
		{name: "bearer", action: ActionDrop, det: &detector{
			re:       regexp.MustCompile(`(?i)\b(?:bearer|basic|digest)\s+[A-Za-z0-9._~+/=-]{8,}`),
			requires: classSpace,
			worthScanning: func(_ string, f textFeatures) bool {
				return f.authScheme || f.has(classNonASCII)
			},
		}},
		{name: "secret_assignment", action: ActionDrop, det: &detector{
			// password=..., "api_key": "..." and the like inside free text.
			// The value runs to the next space or quote: passwords hold
			// & , ; and the like, and redacting a trailing query parameter
			// too is the safe side of the trade.
			re:       regexp.MustCompile(`(?i)\b(?:password|passwd|pwd|secret|client_secret|token|access_token|api[_-]?key)["']?\s*[=:]\s*["']?[^\s"']+`),
			requires: classAssign,
			worthScanning: func(s string, f textFeatures) bool {
				return f.has(classNonASCII) || containsFold(s, "pass") || containsFold(s, "pwd") || containsFold(s, "secret") ||
					containsFold(s, "token") || containsFold(s, "key")
			},
		}},
		{name: "payment_card", action: ActionMask, keys: normaliseKeys(
			"card_number", "cardnumber", "card_no", "pan", "credit_card", "cc_number", "ccnum"),
			det: &detector{
				re:            regexp.MustCompile(`\b\d(?:[ -]?\d){12,18}\b`),
				requires:      classDigit,
				worthScanning: func(s string, f textFeatures) bool { return f.digits >= 13 && hasCardRun(s) },
				valid:         isPaymentCard,
			}},
		{name: "iban", action: ActionMask, keys: normaliseKeys("iban", "bank_account", "account_number"),
			det: &detector{
				re:            regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b`),
				requires:      classDigit | classUpper,
				worthScanning: func(s string, f textFeatures) bool { return f.digits >= 4 && f.upper >= 2 && hasIBANStart(s) },
				valid:         isIBAN,
			}},
		{name: "email", action: ActionMask, keys: normaliseKeys("email", "email_address", "e_mail"),
			det: &detector{
				re:       regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`),
				requires: classAt,
			}},
		{name: "phone", action: ActionMask, keys: normaliseKeys("phone", "phone_number", "msisdn", "mobile_phone", "telephone"),
			det: &detector{
				// International numbers only (leading +) and the (555) 123-4567
				// form: bare digit runs are order ids far more often than phones.
				re:            regexp.MustCompile(`\+[1-9]\d{0,3}(?:[ .-]?\(?\d{1,4}\)?){2,6}|\(\d{3}\) ?\d{3}-\d{4}\b`),
				requires:      classDigit,
				worthScanning: func(_ string, f textFeatures) bool { return f.digits >= 8 && f.has(classPlus|classParen) },
				valid:         isPhone,
			}},
	}
}

// textFeatures are counted in one pass over a text to decide which detectors
// can possibly match.
type textFeatures struct {
	digits, upper int
	marks         byteClass // the classes seen of the bytes that are marked
	authScheme    bool
}

func (f textFeatures) has(c byteClass) bool { return f.marks&c != 0 }

// byteClass marks the bytes the detectors' prefilters look for; letters other
// than A-Z have none, so most bytes of a text cost one table load.
type byteClass uint16

const (
	classDigit byteClass = 1 << iota
	classUpper
	classAt
	classPlus
	classParen
	classAssign // = or :
	classSpace
	classUnderscore
	classDash
	classNonASCII
)

var byteClasses = func() (t [256]byteClass) {
	for c := '0'; c <= '9'; c++ {
		t[c] = classDigit
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = classUpper
	}
	t['@'], t['+'], t['('] = classAt, classPlus, classParen
	t['='], t[':'] = classAssign, classAssign
	for _, c := range "\t\n\f\r " { // the regexes' \s
		t[c] = classSpace
	}
	t['_'], t['-'] = classUnderscore, classDash
	for c := utf8.RuneSelf; c < len(t); c++ {
		t[c] = classNonASCII
	}
	return t
}()

func featuresOf(s string) textFeatures {
	var f textFeatures
	for i := 0; i < len(s); i++ {
		c := byteClasses[s[i]]
		if c == 0 {
			continue
		}
		f.marks |= c
		switch c {
		case classDigit:
			f.digits++
		case classUpper:
			f.upper++
		case classSpace:
			// "Bearer x", "Basic x", "Digest x": the word before whitespace,
			// tested only after its last letter.
			switch s[max(i-1, 0)] | 0x20 {
			case 'r':
				f.authScheme = f.authScheme || hasFoldSuffix(s[:i], "bearer")
			case 'c':
				f.authScheme = f.authScheme || hasFoldSuffix(s[:i], "basic")
			case 't':
				f.authScheme = f.authScheme || hasFoldSuffix(s[:i], "digest")
			}
		}
	}
	return f
}

// hasCardRun looks for what the payment card pattern needs: 13 digits or
// more in a row, single spaces or dashes allowed between them. Texts with
// that many digits in all (order ids and timestamps in one value) seldom
// have such a run, and the regex costs far more than this scan.
func hasCardRun(s string) bool {
	run, separated := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			if run++; run == 13 {
				return true
			}
			separated = false
		case (c == ' ' || c == '-') && run > 0 && !separated:
			separated = true
		default:
			run, separated = 0, false
		}
	}
	return false
}

// hasGitHubTokenPrefix looks for gh[pousr]_ (a bare "gh" is in too many
// English words to be worth a regex run).
func hasGitHubTokenPrefix(s string) bool {
	for i := strings.Index(s, "gh"); i >= 0 && i+3 < len(s); {
		if strings.IndexByte("pousr", s[i+2]) >= 0 && s[i+3] == '_' {
			return true
		}
		next := strings.Index(s[i+2:], "gh")
		if next < 0 {
			return false
		}
		i += 2 + next
	}
	return false
}

// hasIBANStart looks for a country code followed by two check digits.
func hasIBANStart(s string) bool {
	for i := 0; i+3 < len(s); i++ {
		if isUpper(s[i]) && isUpper(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			return true
		}
	}
	return false
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i]|0x20 == sub[0] && hasFoldPrefix(s[i:], sub) {
			return true
		}
	}
	return false
}

func hasFoldSuffix(s, suffix string) bool {
	return len(s) >= len(suffix) && hasFoldPrefix(s[len(s)-len(suffix):], suffix)
}

// hasFoldPrefix compares ASCII letters regardless of case; prefix is lower
// case. The prefilters that use it also let through every text with
// non-ASCII bytes, which (?i) regexes may match by Unicode folding (ſ is s).
func hasFoldPrefix(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if s[i]|0x20 != prefix[i] {
			return false
		}
	}
	return true
}

// redactor applies the redaction rules. It is safe for concurrent use.
type redactor struct {
	keyRules   []*redactRule
	valueRules []*redactRule
	hashKey    []byte
	// keyMatches remembers which rule (or none) each key name matches.
	keyMatches *memo[*redactRule]
}

const maxKeyCache = 8192

func newRedactor(cfg RedactionConfig) (*redactor, error) {
	var rules []redactRule
	builtinNames := map[string]bool{}
	if cfg.DefaultRules {
		for _, r := range builtinRedactionRules() {
			builtinNames[r.name] = true
			rules = append(rules, r)
		}
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(cfg.Actions)) {
		action := cfg.Actions[name]
		if !builtinNames[name] {
			errs = append(errs, fmt.Errorf("redaction.actions[%s]: %w", name, errUnknownBuiltin))
			continue
		}
		if !action.valid() {
			errs = append(errs, fmt.Errorf("redaction.actions[%s]: %w", name, errInvalidAction))
			continue
		}
		for i := range rules {
			if rules[i].name == name {
				rules[i].action = action
			}
		}
	}
	seen := maps.Clone(builtinNames)
	for i, rc := range cfg.Rules {
		r, err := compileRedactionRule(rc)
		if err == nil && seen[rc.Name] {
			err = errDuplicateRuleKey
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("redaction.rules[%d]: %w", i, err))
			continue
		}
		seen[rc.Name] = true
		rules = append(rules, r)
	}
	red := &redactor{hashKey: []byte(cfg.HashKey), keyMatches: newMemo[*redactRule](maxKeyCache)}
	for i := range rules {
		r := &rules[i]
		if r.action == ActionHash && len(red.hashKey) == 0 {
			errs = append(errs, fmt.Errorf("redaction rule %s: %w", r.name, errMissingHashKey))
		}
		if len(r.keys) > 0 {
			red.keyRules = append(red.keyRules, r)
		}
		if r.det != nil {
			red.valueRules = append(red.valueRules, r)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return red, nil
}

func compileRedactionRule(rc RedactionRule) (redactRule, error) {
	if rc.Name == "" {
		return redactRule{}, errEmptyRuleName
	}
	if len(rc.Keys) == 0 && rc.Pattern == "" {
		return redactRule{}, errRuleMatchesNone
	}
	if !rc.Action.valid() {
		return redactRule{}, errInvalidAction
	}
	r := redactRule{name: rc.Name, action: rc.Action, keys: normaliseKeys(rc.Keys...)}
	if rc.Pattern != "" {
		re, err := regexp.Compile(rc.Pattern)
		if err != nil {
			return redactRule{}, fmt.Errorf("pattern: %w", err)
		}
		// A literal prefix lets most texts skip the regex.
		prefix, _ := re.LiteralPrefix()
		r.det = &detector{re: re, worthScanning: func(s string, _ textFeatures) bool {
			return prefix == "" || strings.Contains(s, prefix)
		}}
	}
	return r, nil
}

// normaliseKeys turns key names into lower-case words joined without
// separators (api_key, apiKey and API-Key all become apikey).
func normaliseKeys(keys ...string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, strings.Join(keyWords(k), ""))
	}
	return out
}

// keyWords splits a key name into lower-case words at separators and at
// camelCase boundaries: "X-Api-Key" and "xApiKey" both give [x api key].
func keyWords(key string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	runes := []rune(key)
	for i, r := range runes {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
			continue
		case unicode.IsUpper(r) && len(cur) > 0:
			prevLower := unicode.IsLower(runes[i-1]) || unicode.IsDigit(runes[i-1])
			nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
			if prevLower || (unicode.IsUpper(runes[i-1]) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

// keyRule returns the rule a key name falls under, or nil. A rule key
// matches a run of whole words of the name (pin matches card_pin but not
// shipping); keys of five letters or more also match inside a word
// (password matches newpassword).
func (red *redactor) keyRule(key string) *redactRule {
	return red.keyMatches.get(key, red.matchKey)
}

func (red *redactor) matchKey(key string) *redactRule {
	words := keyWords(key)
	joined := strings.Join(words, "")
	for _, r := range red.keyRules {
		for _, k := range r.keys {
			if len(k) >= 5 && strings.Contains(joined, k) {
				return r
			}
			if wordRunEquals(words, k) {
				return r
			}
		}
	}
	return nil
}

func wordRunEquals(words []string, k string) bool {
	for i := range words {
		run := ""
		for j := i; j < len(words) && len(run) < len(k); j++ {
			run += words[j]
			if run == k {
				return true
			}
		}
	}
	return false
}

// redaction collects what was redacted in one event.
type redaction struct {
	fields []string
	count  int
	// secrets are the values that key rules redacted inside the change
	// values, as they were, so that a secret that changed can be reported
	// as a changed field without its values (see secretChanges).
	secrets []rawSecret
}

type rawSecret struct {
	attr, path string
	value      jsonValue // as parsed, before redaction; never written anywhere
}

// secretChange is a path whose secret value differs between old and new.
type secretChange struct {
	path         string
	inOld, inNew bool
}

// secretChanges returns, by path, the secrets that changed between
// audit.change.old and audit.change.new: set, removed or given another value.
func (rd *redaction) secretChanges() []secretChange {
	var out []secretChange
	for i := range rd.secrets {
		s := &rd.secrets[i]
		other := rd.secretAt(otherSide(s.attr), s.path)
		switch {
		case other == nil:
			out = append(out, secretChange{path: s.path, inOld: s.attr == semconv.AttrChangeOld, inNew: s.attr == semconv.AttrChangeNew})
		case s.attr == semconv.AttrChangeNew && !sameJSON(&other.value, &s.value):
			out = append(out, secretChange{path: s.path, inOld: true, inNew: true})
		}
	}
	slices.SortFunc(out, func(a, b secretChange) int { return strings.Compare(a.path, b.path) })
	return out
}

func (rd *redaction) secretAt(attr, path string) *rawSecret {
	for i := range rd.secrets {
		if s := &rd.secrets[i]; s.attr == attr && s.path == path {
			return s
		}
	}
	return nil
}

func otherSide(attr string) string {
	if attr == semconv.AttrChangeOld {
		return semconv.AttrChangeNew
	}
	return semconv.AttrChangeOld
}

func (rd *redaction) record(attr, path, rule string) {
	entry := attr + ":" + rule
	if path != "" {
		entry = attr + ":" + path + ":" + rule
	}
	rd.count++
	if !slices.Contains(rd.fields, entry) {
		rd.fields = append(rd.fields, entry)
	}
}

// apply transforms one sensitive value.
func (red *redactor) apply(action Action, value string) string {
	switch action {
	case ActionHash:
		m := hmac.New(sha256.New, red.hashKey)
		m.Write([]byte(value))
		return "hmac:" + hex.EncodeToString(m.Sum(nil))[:16]
	case ActionMask:
		return mask(value)
	}
	return redactedText
}

// mask keeps the last 4 characters of values of 8 or more characters, which
// is how cards and IBANs are shown to support staff; shorter values are
// masked whole.
func mask(value string) string {
	runes := []rune(value)
	keep := 0
	if len(runes) >= 8 {
		keep = 4
	}
	return strings.Repeat("*", len(runes)-keep) + string(runes[len(runes)-keep:])
}

// redactText applies the value detectors to s.
func (red *redactor) redactText(s, attr, path string, rd *redaction) string {
	if len(s) < 6 {
		return s
	}
	f := featuresOf(s)
	for _, r := range red.valueRules {
		if !r.det.mayMatch(s, f) {
			continue
		}
		s = red.replaceMatches(s, r, attr, path, rd)
	}
	return s
}

func (red *redactor) replaceMatches(s string, r *redactRule, attr, path string, rd *redaction) string {
	locs := r.det.re.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, loc := range locs {
		m := s[loc[0]:loc[1]]
		if r.det.valid != nil && !r.det.valid(m) {
			continue
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString(red.apply(r.action, m))
		last = loc[1]
		rd.record(attr, path, r.name)
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// redactAttributes redacts every attribute outside notRedacted, by key name
// and by value, recursing into maps and slices.
func (red *redactor) redactAttributes(attrs pcommon.Map, rd *redaction) {
	var drop []string
	for k, v := range attrs.All() {
		if notRedacted(k) {
			continue
		}
		if r := red.keyRule(k); r != nil {
			if !red.redactWholeValue(v, r) {
				drop = append(drop, k)
			}
			rd.record(k, "", r.name)
			continue
		}
		red.redactValue(v, k, "", rd)
	}
	for _, k := range drop {
		attrs.Remove(k)
	}
}

// redactWholeValue transforms a value under a sensitive key in place; it
// returns false when the value must be removed instead (drop, or a type that
// carries no secret text such as a bool).
func (red *redactor) redactWholeValue(v pcommon.Value, r *redactRule) bool {
	if r.action == ActionDrop {
		return false
	}
	switch v.Type() {
	case pcommon.ValueTypeStr, pcommon.ValueTypeInt, pcommon.ValueTypeDouble,
		pcommon.ValueTypeMap, pcommon.ValueTypeSlice, pcommon.ValueTypeBytes:
		v.SetStr(red.apply(r.action, v.AsString()))
		return true
	}
	return false
}

// redactValue scans v (which is not under a sensitive key) for sensitive keys
// below it and sensitive values in its text.
func (red *redactor) redactValue(v pcommon.Value, attr, path string, rd *redaction) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if out := red.redactText(v.Str(), attr, path, rd); out != v.Str() {
			v.SetStr(out)
		}
	case pcommon.ValueTypeInt:
		s := strconv.FormatInt(v.Int(), 10)
		if out := red.redactText(s, attr, path, rd); out != s {
			v.SetStr(out)
		}
	case pcommon.ValueTypeMap:
		m := v.Map()
		var drop []string
		for k, child := range m.All() {
			p := childPath(path, k)
			if r := red.keyRule(k); r != nil {
				if !red.redactWholeValue(child, r) {
					drop = append(drop, k)
				}
				rd.record(attr, p, r.name)
				continue
			}
			red.redactValue(child, attr, p, rd)
		}
		for _, k := range drop {
			m.Remove(k)
		}
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			red.redactValue(s.At(i), attr, indexPath(path, i), rd)
		}
	}
}

// redactChange redacts a parsed audit.change.old/new in place and rewrites
// its text only when something changed, so untouched JSON keeps its bytes.
// It reports whether the text changed.
func (red *redactor) redactChange(cv *changeValue, attr string, rd *redaction) bool {
	if !cv.present {
		return false
	}
	before := rd.count
	if !cv.isJSON {
		cv.text = red.redactText(cv.text, attr, "", rd)
		cv.parsed.text = cv.text
		return rd.count != before
	}
	red.redactJSON(&cv.parsed, attr, "", rd)
	if rd.count == before {
		return false
	}
	cv.text = string(appendJSON(nil, &cv.parsed))
	return true
}

// redactJSON redacts v in place.
func (red *redactor) redactJSON(v *jsonValue, attr, path string, rd *redaction) {
	switch v.kind {
	case jsonString:
		v.text = red.redactText(v.text, attr, path, rd)
	case jsonNumber:
		if out := red.redactText(v.text, attr, path, rd); out != v.text {
			*v = jsonValue{kind: jsonString, text: out}
		}
	case jsonArray:
		for i := range v.members {
			red.redactJSON(&v.members[i].value, attr, indexPath(path, i), rd)
		}
	case jsonObject:
		kept := 0
		for i := range v.members {
			m := &v.members[i]
			p := childPath(path, m.key)
			if r := red.keyRule(m.key); r != nil {
				rd.record(attr, p, r.name)
				rd.secrets = append(rd.secrets, rawSecret{attr: attr, path: p, value: m.value})
				if !red.redactJSONWhole(&m.value, r) {
					continue
				}
			} else {
				red.redactJSON(&m.value, attr, p, rd)
			}
			v.members[kept] = *m
			kept++
		}
		clear(v.members[kept:])
		v.members = v.members[:kept]
	}
}

// redactJSONWhole transforms a value under a sensitive key in place; it
// returns false when the member must be removed instead.
func (red *redactor) redactJSONWhole(v *jsonValue, r *redactRule) bool {
	if r.action == ActionDrop {
		return false
	}
	switch v.kind {
	case jsonString, jsonNumber:
		*v = jsonValue{kind: jsonString, text: red.apply(r.action, v.text)}
	case jsonArray, jsonObject:
		*v = jsonValue{kind: jsonString, text: red.apply(r.action, string(appendJSON(nil, v)))}
	default:
		return false // bool or null: nothing to protect, and no value to keep
	}
	return true
}

// isPaymentCard accepts 13 to 19 digits with a valid Luhn checksum, a known
// issuer prefix and a length that issuer uses. Order ids and timestamps fail
// at least one of the three (ms timestamps start with 1, no issuer's IIN).
func isPaymentCard(m string) bool {
	digits := make([]byte, 0, 19)
	for i := 0; i < len(m); i++ {
		if c := m[i]; c >= '0' && c <= '9' {
			digits = append(digits, c)
		}
	}
	n := len(digits)
	if n < 13 || n > 19 || !luhn(digits) {
		return false
	}
	prefix := func(k int) int {
		v, _ := strconv.Atoi(string(digits[:k]))
		return v
	}
	p2, p3, p4 := prefix(2), prefix(3), prefix(4)
	switch {
	case digits[0] == '4': // Visa
		return n == 13 || n == 16 || n == 19
	case (p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720): // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649) || p2 == 62: // Discover, UnionPay
		return n >= 16
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16
	case p2 == 36 || p2 == 38 || p2 == 39 || (p3 >= 300 && p3 <= 305): // Diners Club
		return n >= 14
	case p4 >= 2200 && p4 <= 2204: // Mir
		return n >= 16
	case p2 == 50 || (p2 >= 56 && p2 <= 69): // Maestro
		return n >= 13
	}
	return false
}

func luhn(digits []byte) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// isIBAN checks the ISO 13616 length range and the mod-97 checksum.
func isIBAN(m string) bool {
	s := strings.ReplaceAll(m, " ", "")
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	rearranged := s[4:] + s[:4]
	rem := 0
	for i := 0; i < len(rearranged); i++ {
		c := rearranged[i]
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			rem = (rem*100 + int(c-'A'+10)) % 97
		default:
			return false
		}
	}
	return rem == 1
}

// isPhone accepts 8 to 15 digits (E.164 allows at most 15).
func isPhone(m string) bool {
	n := 0
	for i := 0; i < len(m); i++ {
		if m[i] >= '0' && m[i] <= '9' {
			n++
		}
	}
	return n >= 8 && n <= 15
}
