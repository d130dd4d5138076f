package authz

import (
	"fmt"
	"sync"
	"testing"

	"github.com/portico-dev/portico"
)

func TestHolder(t *testing.T) {
	h := NewHolder()
	if _, ok := h.Get("acme"); ok {
		t.Fatal("empty holder has a snapshot")
	}
	h.Update("acme", func(s *Snapshot) *Snapshot { t.Fatal("Update called fn for an absent account"); return s })
	s := New(fixture())
	h.Set("acme", s)
	if got, ok := h.Get("acme"); !ok || got != s {
		t.Fatal("Get after Set")
	}
	h.Update("acme", func(s *Snapshot) *Snapshot { return s.Apply(Change{DeleteUser: "bob"}) })
	got, _ := h.Get("acme")
	if d := got.Decide(Query{UserID: "bob", Permission: portico.PermDeviceChat, Target: Device("cam1")}); d.Reason != ReasonNotFound {
		t.Errorf("after Update: %v", d.Reason)
	}
	h.Delete("acme")
	if _, ok := h.Get("acme"); ok {
		t.Fatal("Get after Delete")
	}
}

// TestConcurrentDecide runs decisions on several goroutines while changes are published; run it with
// -race. Readers must always see a complete snapshot: bob's chat on CAM-1 comes only from the chatters
// group, which the writer keeps toggling, so every answer is either granted or no_grant.
func TestConcurrentDecide(t *testing.T) {
	h := NewHolder()
	h.Set("acme", New(fixture()))
	rounds := 300
	if testing.Short() {
		rounds = 100
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s, _ := h.Get("acme")
				d := s.Decide(Query{UserID: "bob", Permission: portico.PermDeviceChat, Target: Device("cam1"), At: baseTime})
				if d.Reason != ReasonGranted && d.Reason != ReasonNoGrant {
					t.Errorf("reader %d: %v", r, d.Reason)
					return
				}
				s.ListDevices(ListQuery{UserID: "bob", Permission: portico.PermDeviceScreenView, At: baseTime})
				s.Explain(Query{UserID: "bob", Permission: portico.PermDeviceChat, Target: Device("cam1"), At: baseTime})
			}
		}()
	}
	for i := range rounds {
		h.Update("acme", func(s *Snapshot) *Snapshot {
			members := []string{"bob"}
			if i%2 == 0 {
				members = nil
			}
			dev := DeviceNode{ID: fmt.Sprintf("new%d", i), GroupID: "cam", Name: fmt.Sprintf("N-%d", i)}
			return s.Apply(
				Change{UpsertUserGroup: &UserGroupNode{ID: "chatters", Name: "Chatters", MemberIDs: members}},
				Change{UpsertDevice: &dev},
			)
		})
	}
	close(stop)
	wg.Wait()
}
