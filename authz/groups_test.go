package authz

import (
	"slices"
	"testing"
)

func TestGroupNameAndSubtree(t *testing.T) {
	s := New(Graph{AccountID: "acc", Groups: []GroupNode{
		{ID: "g1", Name: "Europe"}, {ID: "g2", ParentID: "g1", Name: "Germany"},
		{ID: "g3", ParentID: "g2", Name: "Munich"}, {ID: "g4", Name: "USA"},
	}})
	if n, ok := s.GroupName("g3"); !ok || n != "Munich" {
		t.Fatalf("GroupName(g3) = %q, %v", n, ok)
	}
	if _, ok := s.GroupName("nope"); ok {
		t.Fatal("GroupName of a missing group")
	}
	got := s.Subtree("g1")
	slices.Sort(got)
	if !slices.Equal(got, []string{"g1", "g2", "g3"}) {
		t.Fatalf("Subtree(g1) = %v", got)
	}
	s2 := s.Apply(Change{DeleteGroup: "g3"})
	if got := s2.Subtree("g1"); len(got) != 2 {
		t.Fatalf("Subtree after deleting g3 = %v", got)
	}
	if _, ok := s2.GroupName("g3"); ok {
		t.Fatal("a deleted group still has a name")
	}
	if s.Subtree("nope") != nil {
		t.Fatal("Subtree of a missing group")
	}
}
