package auditgen

import (
	"encoding/base64"
	"strconv"
)

// Secret generators. Every value they return is recorded in g.secrets, so
// they must be used only where the value is embedded in an event.

const (
	alnum         = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	passwordChars = alnum + "!#$%&*+-=?@^_"
	base64URL     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	// jwtHeader is base64url({"alg":"HS256","typ":"JWT"}).
	jwtHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
)

func (g *Generator) keep(secret string) string {
	g.secrets = append(g.secrets, secret)
	return secret
}

func (g *Generator) randomText(alphabet string, n int) string {
	b := g.scratch[:0]
	for range n {
		b = append(b, alphabet[g.rng.IntN(len(alphabet))])
	}
	return string(b)
}

func (g *Generator) digits(b []byte, n int) []byte {
	for range n {
		b = append(b, byte('0'+g.rng.IntN(10)))
	}
	return b
}

// cardNumber returns a Luhn-valid Visa, Mastercard or Amex number.
func (g *Generator) cardNumber() string {
	prefixes := []struct {
		prefix string
		length int
	}{{"4", 16}, {"4", 16}, {"51", 16}, {"55", 16}, {"2221", 16}, {"37", 15}}
	p := prefixes[g.rng.IntN(len(prefixes))]
	b := append(g.scratch[:0], p.prefix...)
	b = g.digits(b, p.length-len(p.prefix)-1)
	b = append(b, luhnCheckDigit(b))
	return g.keep(string(b))
}

// luhnCheckDigit returns the digit that makes payload+digit pass the Luhn check.
func luhnCheckDigit(payload []byte) byte {
	sum := 0
	for i := len(payload) - 1; i >= 0; i-- {
		d := int(payload[i] - '0')
		if (len(payload)-i)%2 == 1 { // doubled: every second digit from the check digit
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// iban returns a checksum-valid German, British or Spanish IBAN.
func (g *Generator) iban() string {
	var country string
	b := g.scratch[:0]
	switch g.rng.IntN(3) {
	case 0:
		country, b = "DE", g.digits(b, 18)
	case 1:
		country = "GB"
		for range 4 {
			b = append(b, byte('A'+g.rng.IntN(26)))
		}
		b = g.digits(b, 14)
	default:
		country, b = "ES", g.digits(b, 20)
	}
	bban := string(b)
	check := 98 - ibanMod97(bban+country+"00")
	out := country + string([]byte{byte('0' + check/10), byte('0' + check%10)}) + bban
	return g.keep(out)
}

// ibanMod97 computes the ISO 7064 mod-97 remainder of s, letters as 10..35.
func ibanMod97(s string) int {
	r := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			r = (r*100 + int(c-'A'+10)) % 97
		} else {
			r = (r*10 + int(c-'0')) % 97
		}
	}
	return r
}

func (g *Generator) password() string {
	return g.keep(g.randomText(passwordChars, 10+g.rng.IntN(7)))
}

func (g *Generator) apiToken() string {
	if g.rng.IntN(2) == 0 {
		return g.keep("sk_live_" + g.randomText(alnum, 32))
	}
	return g.keep(g.hexID("apt_", 20))
}

func (g *Generator) jwt(subject string, at int64) string {
	payload := `{"sub":"` + subject + `","iat":` + strconv.FormatInt(at, 10) + `,"exp":` + strconv.FormatInt(at+3600, 10) + `}`
	return g.keep(jwtHeader + "." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + g.randomText(base64URL, 43))
}

var emailDomains = []string{"gmail.com", "outlook.com", "yahoo.co.uk", "gmx.de", "hotmail.es", "proton.me"}

func (g *Generator) email() string {
	local := firstNames[g.rng.IntN(len(firstNames))] + "." + lastNames[g.rng.IntN(len(lastNames))] + strconv.Itoa(g.rng.IntN(100))
	return g.keep(local + "@" + emailDomains[g.rng.IntN(len(emailDomains))])
}

var firstNames = []string{"anna", "max", "lucia", "tom", "sofia", "jan", "elena", "marco", "olga", "diego", "emma", "liam"}

// phone returns an E.164 mobile number of one of the brands' countries.
func (g *Generator) phone() string {
	prefixes := []struct {
		prefix string
		digits int
	}{{"+447", 9}, {"+4915", 9}, {"+346", 8}, {"+521", 10}, {"+5511", 9}}
	p := prefixes[g.rng.IntN(len(prefixes))]
	return g.keep(string(g.digits(append(g.scratch[:0], p.prefix...), p.digits)))
}
