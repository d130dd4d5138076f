package authz

import (
	"math/bits"

	"github.com/portico-dev/portico"
)

// ListDevices returns the ids of the devices on which the query's user holds its permission, sorted
// by device name, then id. The answer equals filtering every device of the query's scope by Decide,
// but it is computed a group at a time: the groups the user's grants reach (whole subtrees) are marked,
// then their devices are marked in a bit set indexed by name order, so that no sort is needed.
func (s *Snapshot) ListDevices(q ListQuery) []string {
	slot, ok := s.userSlot[q.UserID]
	if !ok {
		return nil
	}
	pi, ok := permIndex[q.Permission]
	if !ok {
		return nil
	}
	u := &s.users[slot]
	if !u.canAct {
		return nil
	}

	// The groups whose devices the query asks about.
	var scope []int32
	withUnassigned := false
	var only int32 = -1 // the group of a recursive or single-group query
	switch q.GroupID {
	case "":
		scope, withUnassigned = s.tree.preorder, true
	case portico.UnassignedGroupID:
		withUnassigned = true
	default:
		g, ok := s.groupSlot[q.GroupID]
		if !ok {
			return nil
		}
		only = g
		if q.Recursive {
			scope = s.tree.preorder[s.tree.pre[g]:s.tree.end[g]]
		} else {
			scope = []int32{g}
		}
	}
	inScope := func(g int32) bool {
		switch {
		case g == noGroup:
			return false
		case q.GroupID == "":
			return true
		case g == inUnassigned:
			return withUnassigned
		case only < 0:
			return false
		case q.Recursive:
			return s.tree.pre[only] <= s.tree.pre[g] && s.tree.pre[g] < s.tree.end[only]
		}
		return g == only
	}
	m := &permMetas[pi]
	usable := func(g int32) bool {
		off := defaultOff
		if g >= 0 {
			off = s.tree.off[g]
		} else if m.remote {
			return false // Unassigned: no licence
		}
		return m.gate == 0 || off&m.gate == 0
	}

	tables := make([]*grantTable, 0, 1+len(u.groups))
	tables = append(tables, s.userTables[slot])
	for _, g := range u.groups {
		tables = append(tables, s.groupTables[g])
	}
	everywhere := u.owner
	for _, t := range tables {
		if everywhere {
			break
		}
		if t.account.HasIndex(pi) {
			everywhere = true
		}
		for i := range t.timed {
			if tg := &t.timed[i]; tg.kind == kindAccount && tg.set.HasIndex(pi) && q.At.Before(tg.expires) {
				everywhere = true
			}
		}
	}

	marks := make([]uint64, (len(s.order)+63)/64)
	mark := func(d int32) {
		r := s.rank[d]
		marks[r/64] |= 1 << (r % 64)
	}
	markGroup := func(g int32) {
		for _, d := range s.groupDevs[g] {
			mark(d)
		}
	}
	if everywhere {
		for _, g := range scope {
			if usable(g) {
				markGroup(g)
			}
		}
		if withUnassigned && usable(inUnassigned) {
			for _, d := range s.unassigned {
				mark(d)
			}
		}
	} else {
		// Group grants reach whole subtrees. A group already reached has its subtree reached too,
		// since reaching always marks whole subtrees.
		var reached []bool
		reach := func(g int32) {
			if reached == nil {
				reached = make([]bool, len(s.groups))
			}
			if reached[g] {
				return
			}
			for _, x := range s.tree.preorder[s.tree.pre[g]:s.tree.end[g]] {
				reached[x] = true
			}
		}
		markDevice := func(d int32) {
			if g := s.devices.at(d).group; inScope(g) && usable(g) {
				mark(d)
			}
		}
		for _, t := range tables {
			if t.nodes.HasIndex(pi) {
				for g, set := range t.groups {
					if set.HasIndex(pi) {
						reach(g)
					}
				}
				for d, set := range t.devices {
					if set.HasIndex(pi) {
						markDevice(d)
					}
				}
			}
			for i := range t.timed {
				tg := &t.timed[i]
				if !tg.set.HasIndex(pi) || !q.At.Before(tg.expires) {
					continue
				}
				switch tg.kind {
				case kindGroup:
					reach(tg.slot)
				case kindDevice:
					markDevice(tg.slot)
				}
			}
		}
		if reached != nil {
			for _, g := range scope {
				if reached[g] && usable(g) {
					markGroup(g)
				}
			}
		}
	}

	n := 0
	for _, word := range marks {
		n += bits.OnesCount64(word)
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for w, word := range marks {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			out = append(out, s.orderIDs[w*64+b])
		}
	}
	return out
}
