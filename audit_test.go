package portico_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

// chain builds a valid chain of n events for one account.
func chain(n int) []portico.AuditEvent {
	t0 := time.Date(2026, 2, 3, 4, 5, 6, 789123456, time.UTC)
	events := make([]portico.AuditEvent, n)
	prev := ""
	for i := range events {
		e := portico.AuditEvent{
			ID: "aud_" + string(rune('a'+i)), AccountID: "acc_1", Seq: int64(i + 1),
			At: t0.Add(time.Duration(i) * time.Minute), ActorType: "user", ActorID: "usr_1", ActorName: "Ann",
			Action: "device.move", TargetType: "device", TargetID: "dev_1", SourceIP: "192.0.2.1",
			Outcome: portico.OutcomeSuccess, Detail: "to Munich", PrevHash: prev,
		}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		events[i] = e
	}
	return events
}

func TestComputeHashIsStable(t *testing.T) {
	e := chain(1)[0]
	h := e.ComputeHash()
	if len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Fatalf("hash %q is not 64 lower-case hex digits", h)
	}
	if e.ComputeHash() != h {
		t.Fatalf("hash not deterministic")
	}
	tokyo := time.FixedZone("JST", 9*3600)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600)
	}
	tests := []struct {
		name string
		at   time.Time
	}{
		{"in Tokyo", e.At.In(tokyo)},
		{"in New York", e.At.In(ny)},
		{"in Local", e.At.Local()},
		{"truncated to microseconds, as the database keeps it", e.At.Truncate(time.Microsecond)},
		{"nanoseconds below a microsecond", e.At.Truncate(time.Microsecond).Add(999)},
		{"round-tripped through RFC 3339", mustParse(t, e.At.In(tokyo).Format(time.RFC3339Nano))},
		{"round-tripped through Unix micro", time.UnixMicro(e.At.UnixMicro())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e
			c.At = tt.at
			if got := c.ComputeHash(); got != h {
				t.Errorf("hash changed: %s != %s", got, h)
			}
		})
	}
	// The hash does not depend on Hash itself.
	c := e
	c.Hash = "anything"
	if c.ComputeHash() != h {
		t.Errorf("hash depends on the Hash field")
	}
}

func mustParse(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A time with a monotonic clock reading hashes as the same instant without one.
func TestComputeHashMonotonicClock(t *testing.T) {
	now := time.Now() // carries a monotonic reading
	if !strings.Contains(now.String(), "m=") {
		t.Skip("no monotonic reading on this platform")
	}
	a := portico.AuditEvent{ID: "x", Seq: 1, At: now}
	b := a
	b.At = now.Round(0) // strips it
	if a.ComputeHash() != b.ComputeHash() {
		t.Errorf("monotonic clock reading changes the hash")
	}
	b.At = now.Add(time.Microsecond)
	if a.ComputeHash() == b.ComputeHash() {
		t.Errorf("a microsecond later hashes the same")
	}
}

// Every field but Hash is covered: changing any one changes the hash. The test walks the struct, so
// a field added later without being hashed fails here.
func TestComputeHashCoversEveryField(t *testing.T) {
	e := chain(2)[1]
	h := e.ComputeHash()
	rv := reflect.ValueOf(&e).Elem()
	for i := 0; i < rv.NumField(); i++ {
		name := rv.Type().Field(i).Name
		if name == "Hash" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			c := e
			f := reflect.ValueOf(&c).Elem().Field(i)
			switch f.Kind() {
			case reflect.String:
				f.SetString(f.String() + "x")
			case reflect.Int64:
				f.SetInt(f.Int() + 1)
			default:
				if f.Type() == reflect.TypeOf(time.Time{}) {
					f.Set(reflect.ValueOf(c.At.Add(time.Microsecond)))
				} else {
					t.Fatalf("field %s of kind %s: teach this test to change it", name, f.Kind())
				}
			}
			if c.ComputeHash() == h {
				t.Errorf("changing %s does not change the hash", name)
			}
		})
	}
	// Fields are not merely concatenated: moving text from one field to the next changes the hash.
	a, b := e, e
	a.ActorID, a.ActorName = "usr_1", "Ann"
	b.ActorID, b.ActorName = "usr_1A", "nn"
	if a.ComputeHash() == b.ComputeHash() {
		t.Errorf("field boundaries are ambiguous in the hash")
	}
}

func TestVerifyChain(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func([]portico.AuditEvent) []portico.AuditEvent
		wantSeq int64 // 0: the chain verifies
		reason  string
	}{
		{"intact", func(e []portico.AuditEvent) []portico.AuditEvent { return e }, 0, ""},
		{"empty", func([]portico.AuditEvent) []portico.AuditEvent { return nil }, 0, ""},
		{"edited detail", func(e []portico.AuditEvent) []portico.AuditEvent {
			e[2].Detail = "to Berlin"
			return e
		}, 3, "edited"},
		{"edited outcome of the first", func(e []portico.AuditEvent) []portico.AuditEvent {
			e[0].Outcome = portico.OutcomeDenied
			return e
		}, 1, "edited"},
		{"edited time", func(e []portico.AuditEvent) []portico.AuditEvent {
			e[3].At = e[3].At.Add(-time.Hour)
			return e
		}, 4, "edited"},
		{"edited and rehashed", func(e []portico.AuditEvent) []portico.AuditEvent {
			e[1].ActorName = "Mallory"
			e[1].Hash = e[1].ComputeHash()
			return e
		}, 3, "previous-hash"},
		{"last edited and rehashed", func(e []portico.AuditEvent) []portico.AuditEvent {
			// The last entry has no successor; re-hashing it is the one edit a chain alone cannot see.
			e[4].Detail = "rewritten"
			e[4].Hash = e[4].ComputeHash()
			return e
		}, 0, ""},
		{"removed from the middle", func(e []portico.AuditEvent) []portico.AuditEvent {
			return append(e[:2:2], e[3:]...)
		}, 3, "missing"},
		{"removed first", func(e []portico.AuditEvent) []portico.AuditEvent { return e[1:] }, 1, "missing"},
		{"removed and renumbered", func(e []portico.AuditEvent) []portico.AuditEvent {
			out := append(e[:1:1], e[2:]...)
			for i := range out {
				out[i].Seq = int64(i + 1)
			}
			return out
		}, 2, ""},
		{"reordered", func(e []portico.AuditEvent) []portico.AuditEvent {
			e[1], e[2] = e[2], e[1]
			return e
		}, 2, "missing"},
		{"reordered and renumbered", func(e []portico.AuditEvent) []portico.AuditEvent {
			e[1], e[2] = e[2], e[1]
			e[1].Seq, e[2].Seq = 2, 3
			return e
		}, 2, ""},
		{"duplicated", func(e []portico.AuditEvent) []portico.AuditEvent {
			return append(e[:3:3], e[2:]...)
		}, 4, "missing"},
		{"hash replaced", func(e []portico.AuditEvent) []portico.AuditEvent {
			e[4].Hash = strings.Repeat("0", 64)
			return e
		}, 5, "edited"},
		{"chain starting with a prev hash", func(e []portico.AuditEvent) []portico.AuditEvent {
			e[0].PrevHash = "feed"
			e[0].Hash = e[0].ComputeHash()
			return e
		}, 1, "previous-hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := tt.tamper(chain(5))
			p := portico.VerifyChain(events)
			if tt.wantSeq == 0 {
				if p != nil {
					t.Fatalf("VerifyChain = %+v, want nil", p)
				}
				return
			}
			if p == nil {
				t.Fatalf("VerifyChain = nil, want a problem at seq %d", tt.wantSeq)
			}
			if p.Seq != tt.wantSeq {
				t.Errorf("problem at seq %d, want %d (%s)", p.Seq, tt.wantSeq, p.Reason)
			}
			if p.AccountID != "acc_1" {
				t.Errorf("problem account %q", p.AccountID)
			}
			if !strings.Contains(p.Reason, tt.reason) {
				t.Errorf("reason %q lacks %q", p.Reason, tt.reason)
			}
		})
	}
}

// A chain survives JSON and time-zone conversion, as it does a trip through the database and the API.
func TestVerifyChainAfterRoundTrip(t *testing.T) {
	events := chain(4)
	b, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	var back []portico.AuditEvent
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for i := range back {
		back[i].At = back[i].At.In(time.FixedZone("X", 5*3600+1800)).Truncate(time.Microsecond)
	}
	if p := portico.VerifyChain(back); p != nil {
		t.Fatalf("round-tripped chain fails: %+v", p)
	}
}
