package app

import (
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

// The portal's special folders — Unassigned, Favourites, In session, in any of its languages and in
// any case — cannot name a device group, on create or on rename; a name that merely contains one can.
func TestGroupNamesOfSpecialFoldersRefused(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"Unassigned", "unassigned", " UNASSIGNED ", "Favourites", "favorites", "In session",
		"in  SESSION", "Nicht zugewiesen", "Favoriten", "In Sitzung", "Sin asignar", "En sesión", "NON AFFECTÉS",
		"Favoris", "Non assegnati", "Preferiti", "In sessione"} {
		_, err := e.a.CreateDeviceGroup(e.ctx, e.owner, GroupInput{Name: name})
		if msg := wantField(t, err, "name"); !strings.Contains(msg, "special folder") {
			t.Fatalf("create %q: message %q", name, msg)
		}
	}
	groups, _ := e.a.ListDeviceGroups(e.ctx, e.owner)
	if len(groups) != 1 {
		t.Fatalf("refused groups were stored: %+v", groups)
	}
	id := e.group("Unassigned laptops", "")
	for _, name := range []string{"Unassigned", "favourites"} {
		_, err := e.a.UpdateDeviceGroup(e.ctx, e.owner, id, GroupUpdate{Name: &name})
		wantField(t, err, "name")
	}
	if g, _ := e.a.GetDeviceGroup(e.ctx, e.owner, id); g.Name != "Unassigned laptops" {
		t.Fatalf("a refused rename renamed the group to %q", g.Name)
	}
}

// Descriptions of groups and rules may hold line breaks and tabs, but no other control character.
func TestDescriptionsRefuseControlCharacters(t *testing.T) {
	e := newEnv(t)
	for _, bad := range []string{"line\x00x", "bell\x07", "esc\x1b[31m", "lone\rCR", "del\x7f", "c1\u0085"} {
		_, err := e.a.CreateDeviceGroup(e.ctx, e.owner, GroupInput{Name: "G", Description: bad})
		if msg := wantField(t, err, "description"); !strings.Contains(msg, "control") {
			t.Fatalf("group description %q: message %q", bad, msg)
		}
		_, err = e.a.CreateRule(e.ctx, e.owner, RuleInput{Name: "R", Description: bad, Match: portico.MatchAll,
			TargetGroupID: e.defaultGroup, Conditions: nameStarts("A")})
		wantField(t, err, "description")
	}
	id := e.group("Office", "")
	bad := "new\x00desc"
	_, err := e.a.UpdateDeviceGroup(e.ctx, e.owner, id, GroupUpdate{Description: &bad})
	wantField(t, err, "description")
	_, err = e.a.CreateRule(e.ctx, e.owner, RuleInput{Name: "R", Match: portico.MatchAll, TargetGroupID: id,
		Conditions: nameStarts("A\x00")})
	wantField(t, err, "conditions[0].value")

	good := "First line\nsecond\tcolumn\r\nthird line"
	if _, err := e.a.CreateDeviceGroup(e.ctx, e.owner, GroupInput{Name: "Lines", Description: good}); err != nil {
		t.Fatalf("multi-line description refused: %v", err)
	}
	if _, err := e.a.CreateRule(e.ctx, e.owner, RuleInput{Name: "R", Description: good, Match: portico.MatchAll,
		TargetGroupID: id, Conditions: nameStarts("A")}); err != nil {
		t.Fatalf("multi-line rule description refused: %v", err)
	}
}

// A group edit is audited with what changed, old → new; an edit that changes nothing writes nothing.
func TestGroupUpdateAuditDetail(t *testing.T) {
	e := newEnv(t)
	parent := e.group("Europe", "")
	id := e.group("Berlin", "")
	colour, desc := "#123456", "new desc"
	if _, err := e.a.UpdateDeviceGroup(e.ctx, e.owner, id, GroupUpdate{Colour: &colour, Description: &desc}); err != nil {
		t.Fatal(err)
	}
	got := e.audits("device_group.update")
	if len(got) != 1 || !strings.Contains(got[0], "colour "+DefaultGroupColour+" → #123456") ||
		!strings.Contains(got[0], `description "" → "new desc"`) || strings.Contains(got[0], "name") {
		t.Fatalf("audit of a colour and description edit: %q", got)
	}

	// The same values again, and an empty edit: no-ops, not audited.
	name := "Berlin"
	if _, err := e.a.UpdateDeviceGroup(e.ctx, e.owner, id, GroupUpdate{Name: &name, Colour: &colour, Description: &desc}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.UpdateDeviceGroup(e.ctx, e.owner, id, GroupUpdate{}); err != nil {
		t.Fatal(err)
	}
	lower := "#123456 "
	if _, err := e.a.UpdateDeviceGroup(e.ctx, e.owner, id, GroupUpdate{Colour: &lower}); err != nil {
		t.Fatal(err)
	}
	other := e.group("Other", "")
	upper, same := "#ABCDEF", "#abcdef"
	if _, err := e.a.UpdateDeviceGroup(e.ctx, e.owner, other, GroupUpdate{Colour: &upper}); err != nil {
		t.Fatal(err)
	}
	if g, err := e.a.UpdateDeviceGroup(e.ctx, e.owner, other, GroupUpdate{Colour: &same}); err != nil || g.Colour != upper {
		t.Fatalf("the same colour in lower case: %+v, %v", g, err)
	}
	if got := e.audits("device_group.update"); len(got) != 2 {
		t.Fatalf("no-op edits were audited: %q", got)
	}

	name = "Berlin-Mitte"
	if _, err := e.a.UpdateDeviceGroup(e.ctx, e.owner, id, GroupUpdate{Name: &name, ParentID: &parent}); err != nil {
		t.Fatal(err)
	}
	got = e.audits("device_group.update")
	if len(got) != 3 {
		t.Fatalf("audit entries: %q", got)
	}
	var last string
	for _, d := range got {
		if strings.Contains(d, "Mitte") {
			last = d
		}
	}
	if !strings.Contains(last, `name "Berlin" → "Berlin-Mitte"`) || !strings.Contains(last, `parent "(top level)" → "Europe"`) {
		t.Fatalf("audit of a rename and move: %q", last)
	}
}
