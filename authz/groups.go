package authz

// GroupName returns the name of a device group, and whether the group exists. It lets callers show
// group names without reading the whole tree from storage.
func (s *Snapshot) GroupName(id string) (string, bool) {
	slot, ok := s.groupSlot[id]
	if !ok || !s.groups[slot].live {
		return "", false
	}
	return s.groups[slot].name, true
}

// Subtree returns the ids of a device group and of every group below it, depth first; nil when the
// group does not exist.
func (s *Snapshot) Subtree(id string) []string {
	slot, ok := s.groupSlot[id]
	if !ok || !s.groups[slot].live {
		return nil
	}
	t := s.tree
	out := make([]string, 0, t.end[slot]-t.pre[slot])
	for _, g := range t.preorder[t.pre[slot]:t.end[slot]] {
		out = append(out, s.groups[g].id)
	}
	return out
}
