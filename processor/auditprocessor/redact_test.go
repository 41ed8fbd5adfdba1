package auditprocessor

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditpipe/auditpipe/semconv"
)

func newTestRedactor(t *testing.T, mutate func(*RedactionConfig)) *redactor {
	t.Helper()
	cfg := RedactionConfig{Enabled: true, DefaultRules: true}
	if mutate != nil {
		mutate(&cfg)
	}
	r, err := newRedactor(cfg)
	require.NoError(t, err)
	return r
}

// redactRecord runs redaction the way the processor does (diff off).
func redactRecord(t *testing.T, red *redactor, lr plog.LogRecord) redaction {
	t.Helper()
	p := &auditProcessor{redact: red}
	var rd redaction
	rd.count = p.processChange(lr, &scratch{})
	return rd
}

// dump is every string a record carries, for "does X survive anywhere".
func dump(lr plog.LogRecord) string {
	var b strings.Builder
	for k, v := range lr.Attributes().All() {
		b.WriteString(k + "=" + v.AsString() + "\n")
	}
	b.WriteString("body=" + lr.Body().AsString())
	return b.String()
}

// secret is one corpus entry: where it can be found by value (detector) or
// only under a sensitive key.
type secret struct {
	kind  string
	value string
	key   string // set for secrets recognisable only by their key name
	// core is what must not survive (defaults to value).
	core []string
}

func (s secret) cores() []string {
	if len(s.core) > 0 {
		return s.core
	}
	return []string{s.value}
}

func luhnComplete(prefix string, length int, rng *rand.Rand) string {
	digits := []byte(prefix)
	for len(digits) < length-1 {
		digits = append(digits, byte('0'+rng.IntN(10)))
	}
	for check := byte('0'); check <= '9'; check++ {
		if luhn(append(append([]byte{}, digits...), check)) {
			return string(append(digits, check))
		}
	}
	panic("unreachable")
}

func groupBy4(s, sep string) string {
	var parts []string
	for i := 0; i < len(s); i += 4 {
		parts = append(parts, s[i:min(i+4, len(s))])
	}
	return strings.Join(parts, sep)
}

func ibanFor(country, bban string) string {
	rearranged := bban + country + "00"
	rem := 0
	for _, c := range rearranged {
		if c >= 'A' && c <= 'Z' {
			rem = (rem*100 + int(c-'A'+10)) % 97
		} else {
			rem = (rem*10 + int(c-'0')) % 97
		}
	}
	return fmt.Sprintf("%s%02d%s", country, 98-rem, bban)
}

func randomFrom(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

const (
	alnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	digits = "0123456789"
	b64url = alnum + "-_"
)

// secretCorpus builds realistic secrets of every kind the default rules know.
func secretCorpus() []secret {
	rng := rand.New(rand.NewPCG(7, 11))
	var out []secret
	cards := []struct {
		prefix string
		length int
	}{{"4", 16}, {"4", 13}, {"4", 19}, {"51", 16}, {"53", 16}, {"55", 16}, {"2221", 16}, {"2720", 16},
		{"34", 15}, {"37", 15}, {"6011", 16}, {"65", 16}, {"644", 16}, {"3530", 16}, {"3589", 19},
		{"36", 14}, {"300", 14}, {"62", 16}, {"2200", 16}, {"5018", 16}}
	for _, c := range cards {
		for variant := 0; variant < 3; variant++ {
			pan := luhnComplete(c.prefix, c.length, rng)
			v := pan
			switch variant {
			case 1:
				v = groupBy4(pan, " ")
			case 2:
				v = groupBy4(pan, "-")
			}
			out = append(out, secret{kind: "payment_card", value: v, core: []string{v, pan, pan[:12]}})
		}
	}
	for _, ib := range []struct{ country, shape string }{
		{"DE", "dddddddddddddddddd"}, {"GB", "AAAAdddddddddddddd"}, {"FR", "dddddddddddddddddddddddd"},
		{"ES", "dddddddddddddddddddd"}, {"NL", "AAAAdddddddddd"}, {"IT", "Adddddddddddddddddddddd"},
		{"CH", "ddddddddddddddddd"}, {"PL", "dddddddddddddddddddddddd"}, {"SE", "dddddddddddddddddddd"},
		{"BE", "dddddddddddd"}, {"AT", "dddddddddddddddd"}, {"LT", "dddddddddddddddd"},
		{"MT", "AAAAdddddddddddddddddddddd"}, {"IE", "AAAAdddddddddddddd"}, {"PT", "ddddddddddddddddddddd"},
	} {
		bban := ""
		for _, ch := range ib.shape {
			if ch == 'd' {
				bban += randomFrom(rng, digits, 1)
			} else {
				bban += randomFrom(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1)
			}
		}
		iban := ibanFor(ib.country, bban)
		out = append(out, secret{kind: "iban", value: iban, core: []string{iban, iban[4:]}},
			secret{kind: "iban", value: groupBy4(iban, " "), core: []string{groupBy4(iban, " "), iban}})
	}
	for _, e := range []string{"anna.petrova@example.com", "j.smith+casino@mail.co.uk", "VIP_player77@gmail.com",
		"support-team@brand-eu.example.org", "o'neil@example.ie", "zhang.wei@qq.com", "m.garcia@outlook.es",
		"kyc.docs@provider.io", "first.last@sub.domain.example", "x@y.cz", "ops+alerts@auditpipe.dev",
		"l.rossi@libero.it", "player.8812@mailinator.com", "h.nielsen@firma.dk", "finance@acme-corp.com",
		"pieter.de.vries@ziggo.nl", "ana_costa@sapo.pt", "t.horvat@gmail.hr", "admin@localhost.localdomain",
		"k.novak@seznam.cz"} {
		core := e
		if strings.Contains(e, "'") {
			core = e[strings.Index(e, "'")+1:] // the regex takes the part after the apostrophe
		}
		out = append(out, secret{kind: "email", value: e, core: []string{core}})
	}
	for _, p := range []string{"+44 20 7946 0958", "+1 (415) 555-2671", "+49 30 901820", "+7 912 345-67-89",
		"+380 44 123 4567", "+34 612 34 56 78", "+33 6 12 34 56 78", "+39 347 123 4567", "+48 512 345 678",
		"+61 2 9374 4000", "+5511987654321", "+971 50 123 4567", "+1-202-555-0143", "(212) 555-0187",
		"+353 87 123 4567"} {
		out = append(out, secret{kind: "phone", value: p})
	}
	for i := 0; i < 12; i++ {
		header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
		payload := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf(`{"sub":"emp-%d","role":"admin","iat":17638%05d}`, 1000+i, i)))
		jwt := header + "." + payload + "." + randomFrom(rng, b64url, 43)
		out = append(out, secret{kind: "jwt", value: jwt, core: []string{payload}})
	}
	for i := 0; i < 10; i++ {
		tok := randomFrom(rng, alnum, 40)
		sep := []string{" ", "\t", "  "}[i%3] // what a header parser may leave
		out = append(out, secret{kind: "bearer", value: "Bearer" + sep + tok, core: []string{tok}})
	}
	for i := 0; i < 4; i++ {
		creds := base64.StdEncoding.EncodeToString([]byte("svc-export:" + randomFrom(rng, alnum, 16)))
		out = append(out, secret{kind: "bearer", value: "Basic " + creds, core: []string{creds}})
	}
	for _, kind := range []string{"RSA ", "EC ", "", "OPENSSH ", "ENCRYPTED "} {
		body := randomFrom(rng, alnum+"+/", 64) + "\n" + randomFrom(rng, alnum+"+/", 64)
		pem := "-----BEGIN " + kind + "PRIVATE KEY-----\n" + body + "\n-----END " + kind + "PRIVATE KEY-----"
		out = append(out, secret{kind: "private_key", value: pem, core: []string{body[:64], body[65:]}})
	}
	for _, tok := range []string{
		"sk_live_" + randomFrom(rng, alnum, 24), "sk_test_" + randomFrom(rng, alnum, 24),
		"pk_live_" + randomFrom(rng, alnum, 24), "rk_live_" + randomFrom(rng, alnum, 30),
		"AKIA" + randomFrom(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), "AKIA" + randomFrom(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
		"ghp_" + randomFrom(rng, alnum, 36), "gho_" + randomFrom(rng, alnum, 36), "ghs_" + randomFrom(rng, alnum, 36),
		"xoxb-" + randomFrom(rng, digits, 12) + "-" + randomFrom(rng, alnum, 24),
		"xoxp-" + randomFrom(rng, digits, 12) + "-" + randomFrom(rng, alnum, 24),
		"AIza" + randomFrom(rng, b64url, 35), "glpat-" + randomFrom(rng, b64url, 20),
	} {
		out = append(out, secret{kind: "api_token", value: tok})
	}
	for _, kv := range [][2]string{
		{"password", "Tr0ub4dor&3"}, {"newPassword", "Winter2026!"}, {"old_password", "hunter2hunter2"},
		{"passwd", "qwerty12345"}, {"user_pwd", "P@ssw0rd"}, {"client_secret", "c5f1e0b9a8d7"},
		{"api_key", "3f9a1c7e5b2d4f60"}, {"X-Api-Key", "key-7d1e9a2c44"}, {"apiKey", "ak_9f8e7d6c5b4a"},
		{"access_token", "at-1f2e3d4c5b6a"}, {"refresh_token", "rt-99aa88bb77cc"}, {"session_token", "st_0a1b2c3d"},
		{"Authorization", "Token 0d9c8b7a6f5e4d3c"}, {"cookie", "sid=4b3a2c1d; Path=/"}, {"cvv", "123"},
		{"cvc2", "9876"}, {"pin", "4821"}, {"card_pin", "0000"}, {"security_code", "771"}, {"otp", "482913"},
		{"passphrase", "correct horse battery staple"}, {"secret_key", "sk-9a8b7c6d5e"},
		{"private_key", "MIIEvQIBADANBgkqhkiG9w0"}, {"totp", "918273"}, {"recovery_code", "RC-77AA-91BB"},
		{"card_number", "4000 0000 0000 0002"}, {"cardNumber", "5105105105105106"}, {"pan", "371449635398431"},
		{"iban", "DE00123456780000000000"}, {"phone_number", "020 7946 0018"}, {"msisdn", "447700900123"},
		{"email", "not-an-address-but-private"},
	} {
		out = append(out, secret{kind: "keyed", key: kv[0], value: kv[1]})
	}
	for _, s := range []string{"password=Hunter2024!", "pwd: s3cr3t-value", `"api_key": "zz9yy8xx7"`,
		"token=abcdef123456", "secret='x-42-y'", "client_secret=CS-00991122",
		"password=&jvE*#z7?I8CI4", "passwd=a;b,c&d=e"} {
		_, v, _ := strings.Cut(s, s[strings.IndexAny(s, "=:"):strings.IndexAny(s, "=:")+1])
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		out = append(out, secret{kind: "secret_assignment", value: s, core: []string{v}})
	}
	return out
}

func TestRedactionCorpusNoSecretSurvives(t *testing.T) {
	corpus := secretCorpus()
	require.GreaterOrEqual(t, len(corpus), 200)
	red := newTestRedactor(t, func(c *RedactionConfig) {
		c.HashKey = "k"
		c.Actions = map[string]Action{"email": ActionHash}
	})
	for i, s := range corpus {
		t.Run(fmt.Sprintf("%03d_%s", i, s.kind), func(t *testing.T) {
			var ld plog.Logs
			var lr plog.LogRecord
			if s.key != "" {
				ld, lr = newEvent("player.profile_update", "success",
					semconv.AttrChangeOld, fmt.Sprintf(`{"auth":{%q:%q},"n":1}`, s.key, s.value),
					semconv.AttrChangeNew, fmt.Sprintf(`{"auth":{%q:%q},"n":2,"list":[{%q:%q}]}`, s.key, s.value+"x", s.key, s.value))
				lr.Attributes().PutStr(s.key, s.value)
				lr.Attributes().PutEmptyMap("http.request").PutEmptyMap("headers").PutStr(s.key, s.value)
				lr.Body().SetEmptyMap().PutEmptyMap("form").PutStr(s.key, s.value)
			} else {
				oldJSON, _ := marshalJSON(map[string]any{"profile": map[string]any{"contact": []any{map[string]any{"value": s.value}}}})
				newJSON, _ := marshalJSON(map[string]any{"profile": map[string]any{"contact": []any{"changed"}, "memo": "see " + s.value + " (from chat)"}})
				ld, lr = newEvent("player.profile_update", "success",
					semconv.AttrChangeOld, oldJSON, semconv.AttrChangeNew, newJSON,
					semconv.AttrComment, "customer wrote: "+s.value+", please check",
					"ticket.text", s.value)
				lr.Attributes().PutEmptySlice("notes").AppendEmpty().SetStr("note " + s.value)
				lr.Body().SetStr("support agent pasted " + s.value + " into the ticket")
			}
			_ = ld
			rd := redactRecord(t, red, lr)
			out := dump(lr)
			for _, core := range s.cores() {
				assert.NotContains(t, out, core, "secret survived")
			}
			assert.Positive(t, rd.count)
			fields := attrList(lr, semconv.AttrRedactedFields)
			require.NotEmpty(t, fields)
			for _, f := range fields {
				for _, core := range s.cores() {
					assert.NotContains(t, f, core, "redacted.fields must not carry values")
				}
			}
		})
	}
}

// marshalJSON writes v without HTML escaping, as the processor does.
func marshalJSON(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n"), err
}

func TestRedactionLeavesNonSecretsUntouched(t *testing.T) {
	red := newTestRedactor(t, nil)
	texts := []string{
		"order 4111111111111112 shipped",           // fails Luhn
		"invoice 1000000000000008",                 // Luhn-valid, no issuer starts with 1
		"1763891702123",                            // Unix ms
		"1763891702123456789",                      // Unix ns
		"2026-11-23T09:15:02.123456789Z",           // RFC 3339
		"2026-11-23T09:15:02+01:00",                // with offset
		"at 2026-11-23 10:00:00 +05:30 local time", // offset after a space
		"01JD3Q8W5T4ZK2V7X9B6N1M0PA",               // ULID
		"550e8400-e29b-41d4-a716-446655440000",     // UUID
		"203.0.113.24", "2001:db8::1",
		"amount 1234567.89 EUR", "ticket 5521", "ORD-2026-000123456", "order 9000000000000000000",
		"ref 8000000000000001", "player 8812 balance 500 -> 620.5", "version 1.2.3", "sess-7f3a9c",
		"req-5d1c0b7e", "score 3+1 and 5", "compensation for outage, ticket 5521",
		"granted 500 EUR manual bonus to player 8812", "DE flag set for brand-eu",
		"GB12 is not an IBAN", "see https://backoffice.example.com/players/8812?tab=kyc",
		"basic plan", "bearer of bad news", "token", "eyJ", "@channel", "+ 5", "(555)",
		"C:\\reports\\q3.xlsx", "keyboard layout: de", "monkey: 3", "passage: open",
	}
	for _, s := range texts {
		t.Run(s, func(t *testing.T) {
			_, lr := newEvent("player.profile_update", "success", semconv.AttrComment, s, "ticket.text", s)
			lr.Body().SetStr(s)
			before := dump(lr)
			rd := redactRecord(t, red, lr)
			assert.Zero(t, rd.count, attrList(lr, semconv.AttrRedactedFields))
			assert.Equal(t, before, dump(lr))
		})
	}

	t.Run("keys that only look sensitive", func(t *testing.T) {
		_, lr := newEvent("player.profile_update", "success",
			"shipping", "12 Main St", "company", "Acme", "opinion", "fine", "panel", "left", "expand", "all",
			"spin_count", "3", "pinned", "yes", "passage", "x", "keyboard", "de", "monkey", "3")
		before := dump(lr)
		assert.Zero(t, redactRecord(t, red, lr).count)
		assert.Equal(t, before, dump(lr))
	})

	t.Run("event identity is never redacted", func(t *testing.T) {
		_, lr := newEvent("auth.login", "success",
			semconv.AttrActorName, "anna.petrova@example.com", semconv.AttrSessionID, "sess-4111111111111111",
			semconv.AttrRequestID, "req-4111111111111111", semconv.AttrTenant, "brand-eu")
		lr.Attributes().PutStr(semconv.AttrEventID, "4111111111111111")
		before := dump(lr)
		assert.Zero(t, redactRecord(t, red, lr).count)
		assert.Equal(t, before, dump(lr))
	})

	t.Run("untouched JSON keeps its bytes", func(t *testing.T) {
		old := `{ "b": 1,  "a": [1, 2], "order": 4111111111111112 }`
		_, lr := newEvent("player.profile_update", "success", semconv.AttrChangeOld, old, semconv.AttrChangeNew, old)
		redactRecord(t, red, lr)
		assert.Equal(t, old, attr(lr, semconv.AttrChangeOld))
	})
}

func TestRedactionActions(t *testing.T) {
	red := newTestRedactor(t, func(c *RedactionConfig) {
		c.HashKey = "test-key"
		c.Actions = map[string]Action{"email": ActionHash}
		c.Rules = []RedactionRule{
			{Name: "passport", Pattern: `\bPP\d{7}\b`, Action: ActionHash},
			{Name: "national_id", Keys: []string{"national_id"}, Action: ActionMask},
		}
	})
	_, lr := newEvent("player.profile_update", "success",
		"contact", "anna.petrova@example.com", "contact2", "mail anna.petrova@example.com",
		"card", "4111 1111 1111 1111", "doc", "passport PP1234567", "national_id", "850101-1234", "password", "x")
	rd := redactRecord(t, red, lr)
	hashed := attr(lr, "contact")
	assert.Regexp(t, `^hmac:[0-9a-f]{16}$`, hashed)
	assert.Equal(t, "mail "+hashed, attr(lr, "contact2"), "equal values hash equally, so they stay searchable")
	assert.Equal(t, "***************1111", attr(lr, "card"))
	assert.Regexp(t, `^passport hmac:[0-9a-f]{16}$`, attr(lr, "doc"))
	assert.Equal(t, "*******1234", attr(lr, "national_id"))
	_, present := lr.Attributes().Get("password")
	assert.False(t, present, "drop removes the attribute")
	assert.ElementsMatch(t, []string{"contact:email", "contact2:email", "card:payment_card", "doc:passport",
		"national_id:national_id", "password:secret"}, attrList(lr, semconv.AttrRedactedFields))
	assert.Equal(t, 6, rd.count)

	other := newTestRedactor(t, func(c *RedactionConfig) {
		c.HashKey = "another-key"
		c.Actions = map[string]Action{"email": ActionHash}
	})
	_, lr2 := newEvent("x.y", "success", "contact", "anna.petrova@example.com")
	redactRecord(t, other, lr2)
	assert.NotEqual(t, hashed, attr(lr2, "contact"), "the hash depends on the key")
}

func TestRedactionInsideChangeJSON(t *testing.T) {
	red := newTestRedactor(t, nil)
	_, lr := newEvent("player.profile_update", "success",
		semconv.AttrChangeOld, `{"email":"a@b.example","card":{"number":"4111111111111111","cvv":"123"},"pins":[1,2],"n":1}`,
		semconv.AttrChangeNew, `{"email":"c@d.example","card":{"number":"5555555555554444","cvv":"456"},"pins":[1,2],"n":2}`)
	redactRecord(t, red, lr)
	assert.JSONEq(t, `{"email":"*******mple","card":{"number":"************1111"},"pins":[1,2],"n":1}`,
		attr(lr, semconv.AttrChangeOld))
	assert.ElementsMatch(t, []string{
		"audit.change.old:email:email", "audit.change.old:card.number:payment_card", "audit.change.old:card.cvv:card_security",
		"audit.change.new:email:email", "audit.change.new:card.number:payment_card", "audit.change.new:card.cvv:card_security",
	}, attrList(lr, semconv.AttrRedactedFields))
}

func TestKeyWords(t *testing.T) {
	for key, want := range map[string][]string{
		"X-Api-Key": {"x", "api", "key"}, "xApiKey": {"x", "api", "key"}, "APIKey": {"api", "key"},
		"card_number": {"card", "number"}, "http.request.header.authorization": {"http", "request", "header", "authorization"},
		"cvv2": {"cvv2"}, "userID": {"user", "id"},
	} {
		assert.Equal(t, want, keyWords(key), key)
	}
}

func TestDetectorsValidate(t *testing.T) {
	assert.True(t, isPaymentCard("4111 1111 1111 1111"))
	assert.False(t, isPaymentCard("4111 1111 1111 1112"), "Luhn")
	assert.False(t, isPaymentCard("1000000000000008"), "no issuer")
	assert.False(t, isPaymentCard("411111111111116"), "Visa is never 15 digits")
	assert.True(t, isIBAN("GB82 WEST 1234 5698 7654 32"))
	assert.False(t, isIBAN("GB83 WEST 1234 5698 7654 32"))
	assert.True(t, isPhone("+44 20 7946 0958"))
	assert.False(t, isPhone("+1 23"))
	assert.Equal(t, "****", mask("1234"))
	assert.Equal(t, "****5678", mask("12345678"))
	assert.Equal(t, strconv.Itoa(0), strconv.Itoa(len(mask(""))))
}

func TestRedactionSkipsNonStringValuesUnderSecretKeysSafely(t *testing.T) {
	red := newTestRedactor(t, nil)
	_, lr := newEvent("x.y", "success")
	m := lr.Attributes().PutEmptyMap("payload")
	m.PutBool("password_set", true)
	m.PutInt("pin", 4821)
	m.PutInt("order", 4111111111111111)
	redactRecord(t, red, lr)
	got := lr.Attributes().AsRaw()["payload"].(map[string]any)
	assert.NotContains(t, got, "password_set")
	assert.NotContains(t, got, "pin")
	assert.Equal(t, "************1111", got["order"])
	_ = pcommon.NewMap
}

// TestPrefiltersAcceptEveryMatch: a prefilter that turned away a text its
// detector would redact would let a secret through. Every detector's
// prefilter must accept the corpus and random texts made of the pieces the
// patterns look for, wherever the detector finds a valid match.
func TestPrefiltersAcceptEveryMatch(t *testing.T) {
	var texts []string
	for _, s := range secretCorpus() {
		texts = append(texts, s.value, "note: "+s.value+" (ticket 1700000000123)")
	}
	pieces := []string{"sk_live_", "rk_test_", "AKIA", "ghp_", "xoxb-", "AIza", "glpat-", "-----BEGIN RSA PRIVATE KEY-----",
		"-----END RSA PRIVATE KEY-----", "eyJ", ".", "Bearer ", "basic\t", "Digest ", "password=", "api-key: ", "token\":\"",
		"4111 1111 1111 1111", "5500-0000-0000-0004", "4", "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432",
		"a.b@example.com", "@", "+44 20 7946 0958", "(555) 123-4567", "+", "(", ")", "-", "_", " ", ":", "=", "\"", "'",
		// (?i) also matches by Unicode folding: ſ is s, K (Kelvin) is k.
		"baſic ", "BEARER\n", "to\u212aen=", "ſecret: ", "Müller "}
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	rng := rand.New(rand.NewPCG(5, 6))
	for range 30000 {
		var b strings.Builder
		for range 1 + rng.IntN(10) {
			if rng.IntN(3) == 0 {
				for range 1 + rng.IntN(40) {
					b.WriteByte(alnum[rng.IntN(len(alnum))])
				}
			} else {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
		}
		texts = append(texts, b.String())
	}
	checked := map[string]int{}
	for _, r := range builtinRedactionRules() {
		if r.det == nil {
			continue
		}
		for _, s := range texts {
			if !detectorRedacts(r.det, s) {
				continue
			}
			checked[r.name]++
			if !r.det.mayMatch(s, featuresOf(s)) {
				t.Errorf("%s: the prefilter turns away %q, which the detector redacts", r.name, s)
			}
		}
		assert.Positive(t, checked[r.name], "%s: no text exercised the detector", r.name)
	}
}

func detectorRedacts(d *detector, s string) bool {
	for _, loc := range d.re.FindAllStringIndex(s, -1) {
		if d.valid == nil || d.valid(s[loc[0]:loc[1]]) {
			return true
		}
	}
	return false
}
