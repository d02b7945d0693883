// Package pii redacts personal data: e-mail addresses, public IP
// addresses, phone numbers and payment-card numbers.
//
// Source: datatrove's PIIFormatter (pipeline/formatters/pii.py) for the
// e-mail and IP rules — only public IP addresses are replaced, private,
// loopback, link-local, multicast and documentation ranges stay, as they
// identify nobody. Phone and card rules are winnow's own and deliberately
// conservative: E.164 numbers ("+" and 8–15 digits) and the common
// national formats with separators; card numbers of 13–19 digits that pass
// the Luhn check.
//
// Defaults: mode filter (rewrite the text with the placeholders <EMAIL>,
// <IP_ADDRESS>, <PHONE>, <CARD>); drop_min_count 0 (never drop a document
// for its PII). Signals: pii.emails, pii.ips, pii.phones, pii.cards.
//
// Matching uses Go's regexp (RE2, linear time) to find candidates; the
// validity checks after it (IP ranges, digit counts, Luhn) are linear too.
package pii

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// Placeholders written over redacted spans.
const (
	PlaceholderEmail = "<EMAIL>"
	PlaceholderIP    = "<IP_ADDRESS>"
	PlaceholderPhone = "<PHONE>"
	PlaceholderCard  = "<CARD>"
)

// Kind is a kind of personal data.
type Kind uint8

// The kinds of personal data found, in priority order: where two matches
// overlap, the one that starts first wins, and at the same start the lower
// kind.
const (
	Email Kind = iota
	Card
	IP
	Phone
	numKinds
)

var placeholders = [numKinds]string{PlaceholderEmail, PlaceholderCard, PlaceholderIP, PlaceholderPhone}

// Placeholder returns the text written over a match of kind k.
func (k Kind) Placeholder() string { return placeholders[k] }

var (
	// Local part and domain as in RFC 5322's dot-atom, with the letters
	// of internationalised addresses (RFC 6531); the TLD has at least two
	// letters.
	emailRE = regexp.MustCompile(`[\p{L}\p{N}!#$%&'*+/=?^_{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_{|}~-]+)*@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+[A-Za-z]{2,24}`)
	ipv4RE  = regexp.MustCompile(`(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])`)
	// Candidates only: netip.ParseAddr decides.
	ipv6RE = regexp.MustCompile(`[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})?`)
	// Runs of digits with single separators; Luhn and the length decide.
	cardRE = regexp.MustCompile(`[0-9](?:[ -]?[0-9]){12,18}`)
	// E.164: "+", country code, then digits with optional single
	// separators or a parenthesised area code.
	e164RE = regexp.MustCompile(`\+[1-9](?:[ .-]?\(?[0-9]\)?){7,14}`)
	// North American: (NXX) NXX-XXXX or NXX-NXX-XXXX with separators.
	nanpRE = regexp.MustCompile(`(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[ .-])[2-9][0-9]{2}[ .-][0-9]{4}`)
	// National trunk prefix 0 and grouped digits (most of Europe, Asia,
	// Latin America): 030 1234567, 06 12 34 56 78, 0171-1234567.
	trunkRE = regexp.MustCompile(`\(?0[1-9][0-9]{0,4}\)?(?:[ /.-][0-9]{2,8}){1,4}`)
)

// Match is one span of personal data in a text.
type Match struct {
	Start, End int
	Kind       Kind
}

// Options choose what counts as personal data.
type Options struct {
	// AllIPs also redacts private, loopback and documentation addresses.
	AllIPs bool
}

// Find appends to dst the non-overlapping matches in s, in text order.
//
// The patterns have no literal prefix, and RE2 over a whole document runs
// at a few MB/s; so Find first cuts the text into short windows that can
// hold a match (runs of phone/card/IP characters, the word around an "@")
// with byte scans, and runs the patterns over those windows only.
func Find(dst []Match, s string, o Options) []Match {
	start := len(dst)
	add := func(re *regexp.Regexp, kind Kind, w, off int, ok func(i, j int) (int, bool)) {
		for _, m := range re.FindAllStringIndex(s[w:off], -1) {
			i, j := w+m[0], w+m[1]
			if j, good := ok(i, j); good {
				dst = append(dst, Match{i, j, kind})
			}
		}
	}
	// E-mail: the run of address characters around each "@".
	for at, from := 0, 0; from < len(s); from = at + 1 {
		k := strings.IndexByte(s[from:], '@')
		if k < 0 {
			break
		}
		at = from + k
		i, j := at, at+1
		for i > from && at-i < maxEmail && !emailStop(s[i-1]) {
			i--
		}
		for j < len(s) && j-at < maxEmail && !emailStop(s[j]) {
			j++
		}
		add(emailRE, Email, i, j, func(i, j int) (int, bool) { return j, true })
		at = max(at, j-1)
	}
	// Digits: runs of the characters numbers are written with.
	for i := 0; i < len(s); {
		if !numChar(s[i]) {
			i++
			continue
		}
		// Count what each pattern needs, so most windows (a year, a
		// price) skip the regexps.
		j, nd, dots, plus, zero := i, 0, 0, false, false
		for j < len(s) && numChar(s[j]) {
			switch c := s[j]; {
			case c-'0' < 10:
				nd++
				zero = zero || c == '0'
			case c == '.':
				dots++
			case c == '+':
				plus = true
			}
			j++
		}
		if nd >= 13 {
			add(cardRE, Card, i, j, func(a, b int) (int, bool) { return b, bounded(s, a, b) && isCard(s[a:b]) })
		}
		if nd >= 4 && dots >= 3 {
			add(ipv4RE, IP, i, j, func(a, b int) (int, bool) { return b, boundedIP(s, a, b) && o.redactIP(s[a:b]) })
		}
		if nd >= 8 && plus {
			add(e164RE, Phone, i, j, func(a, b int) (int, bool) {
				b = trimParen(s, a, b)
				return b, bounded(s, a, b) && digits(s[a:b], 8, 15)
			})
		}
		if nd >= 10 {
			add(nanpRE, Phone, i, j, func(a, b int) (int, bool) { return b, bounded(s, a, b) })
		}
		if nd >= 9 && zero {
			add(trunkRE, Phone, i, j, func(a, b int) (int, bool) {
				return b, bounded(s, a, b) && digits(s[a:b], 9, 12) && !looksLikeDate(s[a:b])
			})
		}
		i = j
	}
	// IPv6: runs of hex digits, colons and dots with two colons or more.
	for i := 0; i < len(s); {
		if !ip6Char(s[i]) {
			i++
			continue
		}
		j, nc := i, 0
		for j < len(s) && ip6Char(s[j]) {
			if s[j] == ':' {
				nc++
			}
			j++
		}
		if nc >= 2 {
			add(ipv6RE, IP, i, j, func(a, b int) (int, bool) { return b, boundedIP(s, a, b) && o.redactIP(s[a:b]) })
		}
		i = j
	}
	found := dst[start:]
	slices.SortFunc(found, func(a, b Match) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return int(a.Kind) - int(b.Kind)
	})
	// Keep the first of overlapping matches.
	out, end := start, -1
	for _, m := range found {
		if m.Start < end {
			continue
		}
		dst[out] = m
		out++
		end = m.End
	}
	return dst[:out]
}

// maxEmail bounds each side of an address window (RFC 5321: 64-byte
// local part, 255-byte domain), so a text of "@" stays linear.
const maxEmail = 256

// emailStop reports bytes that cannot be inside an address.
func emailStop(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '<', '>', '(', ')', '[', ']', '"', ',', ';', ':', '@':
		return true
	}
	return false
}

// numChar reports the bytes of phone, card and IPv4 numbers.
func numChar(c byte) bool {
	switch c {
	case ' ', '.', '-', '(', ')', '/', '+':
		return true
	}
	return c-'0' < 10
}

// ip6Char reports the bytes of IPv6 addresses (with embedded IPv4).
func ip6Char(c byte) bool {
	return c-'0' < 10 || (c|0x20)-'a' < 6 || c == ':' || c == '.'
}

// Redact returns s with every match replaced by its placeholder; matches
// must be in text order and not overlap (as Find returns them).
func Redact(s string, ms []Match) string {
	if len(ms) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	at := 0
	for _, m := range ms {
		b.WriteString(s[at:m.Start])
		b.WriteString(m.Kind.Placeholder())
		at = m.End
	}
	b.WriteString(s[at:])
	return b.String()
}

func isAlnum(c byte) bool {
	return c-'0' < 10 || (c|0x20)-'a' < 26
}

// bounded reports whether s[i:j] is not part of a longer run of letters
// or digits (RE2 has no look-around; \b would also split "a1").
func bounded(s string, i, j int) bool {
	return (i == 0 || !isAlnum(s[i-1])) && (j == len(s) || !isAlnum(s[j]))
}

// boundedIP also refuses a neighbouring dot-digit or colon-hex, so
// "1.2.3.4.5" (a version number) and halves of longer tokens stay.
func boundedIP(s string, i, j int) bool {
	if !bounded(s, i, j) {
		return false
	}
	if i >= 2 && (s[i-1] == '.' || s[i-1] == ':') && isAlnum(s[i-2]) {
		return false
	}
	if j+1 < len(s) && (s[j] == '.' || s[j] == ':') && isAlnum(s[j+1]) {
		return false
	}
	return true
}

// trimParen drops a dangling "(" or ")" the E.164 pattern may end on.
func trimParen(s string, i, j int) int {
	for j > i && (s[j-1] == '(' || s[j-1] == ' ' || s[j-1] == '.' || s[j-1] == '-') {
		j--
	}
	if j > i && s[j-1] == ')' && strings.IndexByte(s[i:j], '(') < 0 {
		j--
	}
	return j
}

func (o Options) redactIP(s string) bool {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	return o.AllIPs || isPublic(a)
}

var documentation = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("240.0.0.0/4"), // reserved
}

// isPublic reports whether a is a globally routable unicast address.
func isPublic(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	for _, p := range documentation {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// digits reports whether s holds between lo and hi decimal digits.
func digits(s string, lo, hi int) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i]-'0' < 10 {
			n++
		}
	}
	return n >= lo && n <= hi
}

// looksLikeDate refuses 0d.0d.dddd-style dates the trunk pattern admits.
func looksLikeDate(s string) bool {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '/' || r == '-' })
	if len(parts) != 3 || strings.ContainsAny(s, " ()") {
		return false
	}
	return len(parts[0]) <= 2 && len(parts[1]) <= 2 && (len(parts[2]) == 4 || len(parts[2]) == 2)
}

// isCard reports whether s (digits with optional single spaces or
// hyphens) is 13–19 digits passing the Luhn check, with one kind of
// separator at most, and not all one digit.
func isCard(s string) bool {
	var sep byte
	var d [19]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '-' {
			if sep != 0 && sep != c {
				return false
			}
			sep = c
			continue
		}
		if n == len(d) {
			return false
		}
		d[n] = c - '0'
		n++
	}
	if n < 13 {
		return false
	}
	same := true
	sum := 0
	for i := 0; i < n; i++ {
		v := int(d[n-1-i])
		if i%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		same = same && d[i] == d[0]
	}
	return sum%10 == 0 && !same
}
