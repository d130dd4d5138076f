package authz

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestDifferentialDevicePages is TestDifferentialApply on accounts whose devices fill several pages
// of the device table: devices are added across page boundaries, moved, renamed and deleted among
// the generator's other changes, every snapshot is checked against the reference, and the snapshot
// before each batch must not see it, though it shares most pages with the next.
func TestDifferentialDevicePages(t *testing.T) {
	seeds := 3
	if testing.Short() {
		seeds = 1
	}
	for seed := range seeds {
		g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 77)), account: "acc"}
		gr := g.graph()
		g.aim(&gr)
		next := 0
		newDevice := func() DeviceNode {
			next++
			return DeviceNode{ID: fmt.Sprintf("big%05d", next), GroupID: g.groupRef(), Name: g.id("D", 40)}
		}
		for range 2*devicePageSize + devicePageSize/2 {
			gr.Devices = append(gr.Devices, newDevice())
		}
		s := New(gr)
		for step := range 25 {
			prev, prevGraph := s, gr
			var batch []Change
			for range 1 + g.r.IntN(4) {
				g.aim(&gr)
				var c Change
				switch r := g.r.IntN(10); {
				case r < 3: // enough new devices to cross into a new page now and then
					d := newDevice()
					c = Change{UpsertDevice: &d}
				case r < 6: // move or rename a device anywhere in the table
					d := gr.Devices[g.r.IntN(len(gr.Devices))]
					if g.chance(0.5) {
						d.GroupID = g.groupRef()
					} else {
						d.Name = g.id("D", 40)
					}
					c = Change{UpsertDevice: &d}
				case r < 7:
					c = Change{DeleteDevice: gr.Devices[g.r.IntN(len(gr.Devices))].ID}
				default:
					c = g.change()
				}
				batch = append(batch, c)
				gr = model(gr, c)
			}
			s = s.Apply(batch...)
			if !checkDevices(t, s, &gr) || !checkDevices(t, prev, &prevGraph) {
				t.Fatalf("seed %d step %d after %+v", seed, step, batch)
			}
			if !check(t, g, s, &gr, 8) {
				t.Fatalf("seed %d step %d after %+v", seed, step, batch)
			}
			if !check(t, g, prev, &prevGraph, 3) {
				t.Fatalf("seed %d step %d: Apply changed the snapshot it was called on", seed, step)
			}
		}
		if s.devices.len() <= 2*devicePageSize {
			t.Fatalf("seed %d: only %d device slots, want the table to span three pages", seed, s.devices.len())
		}
	}
}

// checkDevices compares every device record of s with the graph: each device of the graph in its slot
// with its name and group, and no other live record.
func checkDevices(t *testing.T, s *Snapshot, gr *Graph) bool {
	t.Helper()
	want := map[string]DeviceNode{}
	for _, d := range gr.Devices {
		want[d.ID] = d
	}
	live := 0
	for slot := range s.devices.len() {
		rec := s.devices.at(slot)
		if !rec.live {
			continue
		}
		live++
		d, ok := want[rec.id]
		if !ok || rec.name != d.Name || rec.groupID != d.GroupID {
			t.Errorf("slot %d holds %+v, want %+v (in the graph: %v)", slot, *rec, d, ok)
			return false
		}
		if got, ok := s.deviceSlot.get(rec.id); !ok || got != slot {
			t.Errorf("device %s is in slot %d, but the index says %d (%v)", rec.id, slot, got, ok)
			return false
		}
	}
	if live != len(want) {
		t.Errorf("%d live device records, want %d", live, len(want))
		return false
	}
	return true
}
