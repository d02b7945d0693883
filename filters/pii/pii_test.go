package pii

import (
	"strings"
	"testing"

	"github.com/winnow-data/winnow/pipeline"
)

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// e-mail
		{"write to jane.doe+news@example.co.uk today", "write to <EMAIL> today"},
		{"Schreiben Sie an müller@beispiel.de", "Schreiben Sie an <EMAIL>"},
		{"not an address: user@localhost", "not an address: user@localhost"},
		{"联系我们：service@example.cn。", "联系我们：<EMAIL>。"},
		// IPv4: public redacted, private/loopback/documentation kept
		{"server at 8.8.8.8 answered", "server at <IP_ADDRESS> answered"},
		{"Ask 1.1.1.1. Or mail x@example.com.", "Ask <IP_ADDRESS>. Or mail <EMAIL>."},
		{"router 192.168.1.1 and 127.0.0.1", "router 192.168.1.1 and 127.0.0.1"},
		{"example 203.0.113.7 from RFC 5737", "example 203.0.113.7 from RFC 5737"},
		{"version 1.2.3.4.5 released", "version 1.2.3.4.5 released"},
		{"bad 256.1.1.1", "bad 256.1.1.1"},
		// IPv6
		{"host 2606:4700:4700::1111 up", "host <IP_ADDRESS> up"},
		{"doc 2001:db8::1 and loopback ::1", "doc 2001:db8::1 and loopback ::1"},
		{"at 12:30:45 sharp", "at 12:30:45 sharp"},
		// phones
		{"call +44 20 7946 0958 now", "call <PHONE> now"},
		{"call +1 (415) 555-2671", "call <PHONE>"},
		{"US (415) 555-2671 or 415-555-2671", "US <PHONE> or <PHONE>"},
		{"Tel. 030 12345678", "Tel. <PHONE>"},
		{"tél. 06 12 34 56 78", "tél. <PHONE>"},
		{"Tel. +49 (0)30 1234567", "Tel. <PHONE>"},
		{"電話 03-1234-5678 まで", "電話 <PHONE> まで"},
		{"call 020 7946 0958", "call <PHONE>"},
		{"ph +91 98765 43210", "ph <PHONE>"},
		{"+1234567 is too short", "+1234567 is too short"},
		{"on 01.02.2023 we met", "on 01.02.2023 we met"},
		{"in 2021 there were 1234567 cases", "in 2021 there were 1234567 cases"},
		{"ISBN 978-3-16-148410-0", "ISBN 978-3-16-148410-0"},
		// cards: Luhn decides
		{"card 4111 1111 1111 1111 exp", "card <CARD> exp"},
		{"card 4111-1111-1111-1111", "card <CARD>"},
		{"card 4111 1111 1111 1112", "card 4111 1111 1111 1112"},
		{"mixed 4111 1111-1111 1111", "mixed 4111 1111-1111 1111"},
		{"zeros 0000000000000000", "zeros 0000000000000000"},
	} {
		got := Redact(c.in, Find(nil, c.in, Options{}))
		if got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestAllIPs(t *testing.T) {
	in := "router 192.168.1.1"
	if got := Redact(in, Find(nil, in, Options{AllIPs: true})); got != "router <IP_ADDRESS>" {
		t.Errorf("got %q", got)
	}
}

func TestStageRewritesAndDrops(t *testing.T) {
	text := "mail a@example.com or b@example.org, call +49 30 1234 5678, server 8.8.4.4"
	run := func(c Config) (*pipeline.Document, string) {
		s, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		d := &pipeline.Document{Text: text}
		r, err := s.Process(d)
		if err != nil {
			t.Fatal(err)
		}
		return d, r
	}
	f, r := run(Config{})
	if r != "" || f.Text != "mail <EMAIL> or <EMAIL>, call <PHONE>, server <IP_ADDRESS>" {
		t.Errorf("filter: %q %q", r, f.Text)
	}
	if v, _ := f.Signal("pii.emails"); v != 2 {
		t.Errorf("pii.emails = %v, want 2", v)
	}
	// drop_min_count: 4 matches; just above and just below.
	if _, r := run(Config{DropMinCount: 4}); r != ReasonTooMuchPII {
		t.Errorf("drop_min_count 4: reason %q", r)
	}
	if _, r := run(Config{DropMinCount: 5}); r != "" {
		t.Errorf("drop_min_count 5: reason %q", r)
	}
}

func TestPathological(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("1", 1<<18),
		strings.Repeat("1.", 1<<17),
		strings.Repeat("a@", 1<<17),
		strings.Repeat(":", 1<<18),
		strings.Repeat("+1 ", 1<<16),
		strings.Repeat("😀", 1<<16),
	} {
		ms := Find(nil, s, Options{})
		_ = Redact(s, ms)
	}
}
