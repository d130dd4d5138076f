package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/mail"
	"github.com/portico-dev/portico/internal/mail/mailtest"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw     string
		want    mail.Config
		wantErr string
	}{
		{raw: "smtp://mx.example.com?from=portico@example.com",
			want: mail.Config{Host: "mx.example.com", Port: 587, TLS: mail.TLSStartTLS, From: "portico@example.com"}},
		{raw: "smtps://u%40x:p%3Ass@mx.example.com?from=Portico+%3Cportico@example.com%3E&timeout=5s",
			want: mail.Config{Host: "mx.example.com", Port: 465, TLS: mail.TLSImplicit, Username: "u@x", Password: "p:ss",
				From: "Portico <portico@example.com>", Timeout: 5 * time.Second}},
		{raw: "smtp://127.0.0.1:2525?from=a@b.c&tls=none",
			want: mail.Config{Host: "127.0.0.1", Port: 2525, TLS: mail.TLSNone, From: "a@b.c"}},
		{raw: "http://mx.example.com?from=a@b.c", wantErr: "scheme"},
		{raw: "smtp://mx.example.com", wantErr: "from="},
		{raw: "smtp://mx.example.com?from=nobody", wantErr: "sender address"},
		{raw: "smtp://mx.example.com:99999?from=a@b.c", wantErr: "port"},
		{raw: "smtp://mx.example.com?from=a@b.c&tls=maybe", wantErr: "tls must be"},
		{raw: "smtp://mx.example.com?from=a@b.c&colour=red", wantErr: "unknown parameter"},
		{raw: "smtp://:pw@mx.example.com?from=a@b.c", wantErr: "user name"},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := mail.ParseURL(tc.raw)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Host != tc.want.Host || got.Port != tc.want.Port || got.TLS != tc.want.TLS || got.Username != tc.want.Username ||
				got.Password != tc.want.Password || got.From != tc.want.From || got.Timeout != tc.want.Timeout {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if strings.Contains(got.String(), got.Password) && got.Password != "" {
				t.Fatalf("String() shows the password: %s", got)
			}
		})
	}
}

func TestRenderEveryKindInEveryLanguage(t *testing.T) {
	d := mail.Data{Company: "Alpha <Ltd>", Recipient: "Ann", ActorName: "Bob", Link: "https://portico.example/invitations/inv_x",
		Detail: "ci key", At: time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 3, 11, 5, 6, 0, 0, time.UTC)}
	subjects := map[mail.Kind]map[string]string{}
	for _, k := range mail.Kinds {
		subjects[k] = map[string]string{}
		for _, lang := range mail.Languages {
			subject, text, html, err := mail.Render(k, lang, d)
			if err != nil {
				t.Fatalf("%s/%s: %v", k, lang, err)
			}
			if subject == "" || strings.Contains(subject, "\n") {
				t.Errorf("%s/%s: bad subject %q", k, lang, subject)
			}
			if !strings.Contains(text, "Alpha <Ltd>") {
				t.Errorf("%s/%s: text lacks the company name:\n%s", k, lang, text)
			}
			if strings.Contains(html, "Alpha <Ltd>") || !strings.Contains(html, "Alpha &lt;Ltd&gt;") {
				t.Errorf("%s/%s: HTML does not escape the company name:\n%s", k, lang, html)
			}
			if strings.Contains(text, "<no value>") || strings.Contains(html, "<no value>") {
				t.Errorf("%s/%s: a placeholder has no value", k, lang)
			}
			if k == mail.KindInvitation {
				if !strings.Contains(text, d.Link) || !strings.Contains(html, `href="`+d.Link+`"`) || !strings.Contains(text, "Bob") {
					t.Errorf("%s/%s: invitation lacks the link or the inviter:\n%s", k, lang, text)
				}
			}
			subjects[k][lang] = subject
		}
	}
	// Each language other than en-US (which shares en-GB's words) has its own subject.
	for _, k := range mail.Kinds {
		seen := map[string]string{}
		for _, lang := range []string{"en-GB", "de", "es", "fr", "it"} {
			if other, ok := seen[subjects[k][lang]]; ok {
				t.Errorf("%s: %s and %s share the subject %q: untranslated?", k, other, lang, subjects[k][lang])
			}
			seen[subjects[k][lang]] = lang
		}
	}
	// The invitation's button says "Join the team" in English, and a date follows the language's form.
	_, text, _, _ := mail.Render(mail.KindInvitation, "en-US", d)
	if !strings.Contains(text, "Join the team") || !strings.Contains(text, "Mar 11, 2026") {
		t.Errorf("en-US invitation:\n%s", text)
	}
	_, text, _, _ = mail.Render(mail.KindInvitation, "de-AT", d)
	if !strings.Contains(text, "Dem Team beitreten") || !strings.Contains(text, "11.03.2026") {
		t.Errorf("de-AT falls back to de:\n%s", text)
	}
	_, text, _, _ = mail.Render(mail.KindInvitation, "pt-BR", d)
	if !strings.Contains(text, "Join the team") {
		t.Errorf("unknown language falls back to en-GB:\n%s", text)
	}
	if _, _, _, err := mail.Render("no_such_kind", "en-GB", d); err == nil {
		t.Error("an unknown kind rendered")
	}
}

func TestSMTPDelivers(t *testing.T) {
	tests := []struct {
		name string
		opts mailtest.Options
	}{
		{"plain", mailtest.Options{}},
		{"starttls with authentication", mailtest.Options{StartTLS: true, Username: "relay", Password: "s3cret"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := mailtest.Start(t, tc.opts)
			s, err := mail.NewSMTP(srv.Config())
			if err != nil {
				t.Fatal(err)
			}
			subject, text, html, err := mail.Render(mail.KindInvitation, "fr", mail.Data{Company: "Société Générale d’Essai",
				ActorName: "Zoë", Link: "http://127.0.0.1/invitations/inv_abc", ExpiresAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(context.Background(), mail.Message{To: "ann@example.test", Subject: subject, Text: text, HTML: html}); err != nil {
				t.Fatal(err)
			}
			got := srv.WaitFor(t, "ann@example.test", "", 5*time.Second)
			if got.Subject != subject {
				t.Errorf("subject %q, want %q", got.Subject, subject)
			}
			if !strings.Contains(got.Text, "http://127.0.0.1/invitations/inv_abc") || !strings.Contains(got.Text, "Rejoindre l’équipe") {
				t.Errorf("text part:\n%s", got.Text)
			}
			if !strings.Contains(got.HTML, `href="http://127.0.0.1/invitations/inv_abc"`) {
				t.Errorf("html part:\n%s", got.HTML)
			}
			if !strings.Contains(got.From, "portico@example.test") {
				t.Errorf("envelope sender %q", got.From)
			}
		})
	}
}

func TestSMTPFailures(t *testing.T) {
	t.Run("password over a connection in clear text", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{Username: "relay", Password: "s3cret"})
		s, _ := mail.NewSMTP(srv.Config())
		if err := s.Send(context.Background(), mail.Message{To: "ann@example.test", Subject: "x", Text: "x"}); err == nil {
			t.Fatal("sent a password in clear text")
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{StartTLS: true, Username: "relay", Password: "s3cret"})
		cfg := srv.Config()
		cfg.Password = "wrong"
		s, _ := mail.NewSMTP(cfg)
		if err := s.Send(context.Background(), mail.Message{To: "ann@example.test", Subject: "x", Text: "x"}); err == nil {
			t.Fatal("sent with a wrong password")
		}
	})
	t.Run("starttls with an untrusted certificate", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{StartTLS: true})
		cfg := srv.Config()
		cfg.TLSConfig = nil
		s, _ := mail.NewSMTP(cfg)
		if err := s.Send(context.Background(), mail.Message{To: "ann@example.test", Subject: "x", Text: "x"}); err == nil {
			t.Fatal("sent to a server whose certificate is not trusted")
		}
		if srv.Count("ann@example.test") != 0 {
			t.Fatal("the message arrived")
		}
	})
	t.Run("starttls required but not offered", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{})
		cfg := srv.Config()
		cfg.TLS = mail.TLSStartTLS
		s, _ := mail.NewSMTP(cfg)
		if err := s.Send(context.Background(), mail.Message{To: "ann@example.test", Subject: "x", Text: "x"}); err == nil {
			t.Fatal("sent in clear text although STARTTLS was required")
		}
	})
	t.Run("slow server", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{Delay: time.Minute})
		cfg := srv.Config()
		cfg.Timeout = 300 * time.Millisecond
		s, _ := mail.NewSMTP(cfg)
		if err := s.Send(context.Background(), mail.Message{To: "ann@example.test", Subject: "x", Text: "x"}); err == nil {
			t.Fatal("a server that never answers DATA accepted the message")
		}
	})
	t.Run("header injection", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{})
		s, _ := mail.NewSMTP(srv.Config())
		for _, to := range []string{"ann@example.test\r\nBcc: eve@example.test", "Ann <ann@example.test>", "not an address"} {
			if err := s.Send(context.Background(), mail.Message{To: to, Subject: "x", Text: "x"}); err == nil {
				t.Errorf("sent to %q", to)
			}
		}
	})
}
