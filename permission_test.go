package portico_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

// designCatalogue is the product's catalogue (docs/authorization.md §6), written out permission by permission. The on-demand remote actions are
// "the same remote actions as managed devices under on_demand.*"; the ones that make sense for an
// on-demand session are listed explicitly.
var designCatalogue = func() map[portico.Permission]struct {
	scope portico.PermissionScope
	cat   portico.Category
} {
	type entry = struct {
		scope portico.PermissionScope
		cat   portico.Category
	}
	A, G, O := portico.ScopeAccountOnly, portico.ScopeTree, portico.ScopeOnDemand
	m := map[portico.Permission]entry{}
	add := func(cat portico.Category, scope portico.PermissionScope, ids ...string) {
		for _, id := range ids {
			m[portico.Permission(id)] = entry{scope, cat}
		}
	}
	add(portico.CatAccount, A, "account.view", "account.manage", "billing.view", "billing.manage",
		"legal.manage", "branding.manage", "api_keys.view", "api_keys.manage", "ip_allowlist.view",
		"ip_allowlist.manage", "on_demand.settings")
	add(portico.CatAccount, G, "installers.access")
	add(portico.CatAudit, A, "audit.view")
	add(portico.CatUsers, A, "users.view", "users.invite", "users.edit", "users.delete", "users.manage_2fa")
	add(portico.CatUserGroups, A, "user_groups.view", "user_groups.manage", "user_groups.delete")
	add(portico.CatRoles, A, "roles.view", "roles.manage", "roles.delete")
	add(portico.CatRoles, G, "role_assignments.manage")
	add(portico.CatDeviceGroups, G, "device_groups.view", "device_groups.manage", "device_groups.delete",
		"device_groups.settings")
	add(portico.CatDeviceGroups, A, "assignment_rules.manage")
	add(portico.CatManagedDevices, A, "devices.list")
	add(portico.CatManagedDevices, G, "device.view", "device.edit", "device.delete", "device.move",
		"device.screen_view", "device.remote_control", "device.screenshot", "device.file_transfer",
		"device.terminal", "device.registry", "device.task_manager", "device.chat", "device.message",
		"device.clipboard", "device.blank_screen", "device.ctrl_alt_del", "device.wake", "device.reboot",
		"device.lock", "device.calls", "device.screen_preview", "device.history", "device.inventory",
		"device.notifications", "device.recordings.view", "device.recordings.delete")
	add(portico.CatOnDemand, O, "on_demand.own", "on_demand.all", "on_demand.elevate",
		"on_demand.install_request", "on_demand.screen_view", "on_demand.remote_control",
		"on_demand.screenshot", "on_demand.file_transfer", "on_demand.terminal", "on_demand.registry",
		"on_demand.task_manager", "on_demand.chat", "on_demand.message", "on_demand.clipboard",
		"on_demand.ctrl_alt_del")
	return m
}()

func TestCatalogueHasEveryDesignPermission(t *testing.T) {
	for id, want := range designCatalogue {
		t.Run(string(id), func(t *testing.T) {
			info, ok := portico.LookupPermission(id)
			if !ok {
				t.Fatalf("LookupPermission(%q) not found; the product's catalogue (docs/authorization.md §6) lists it", id)
			}
			if info.ID != id {
				t.Errorf("ID = %q, want %q", info.ID, id)
			}
			if info.Scope != want.scope {
				t.Errorf("scope = %q, want %q", info.Scope, want.scope)
			}
			if info.Category != want.cat {
				t.Errorf("category = %q, want %q", info.Category, want.cat)
			}
			if info.Title == "" {
				t.Errorf("no title")
			}
		})
	}
}

// Every catalogue entry is either in the product's catalogue (docs/authorization.md §6), or an on-demand copy of a managed-device action.
func TestCatalogueHasNothingOutsideDesign(t *testing.T) {
	seen := map[portico.Permission]bool{}
	for i, p := range portico.Catalogue() {
		if seen[p.ID] {
			t.Errorf("%q appears twice", p.ID)
		}
		seen[p.ID] = true
		if p.ID.Index() != i {
			t.Errorf("%q.Index() = %d, want its catalogue position %d", p.ID, p.ID.Index(), i)
		}
		if _, ok := designCatalogue[p.ID]; ok {
			continue
		}
		action, isOnDemand := strings.CutPrefix(string(p.ID), "on_demand.")
		if !isOnDemand {
			t.Errorf("%q is in the catalogue but not in the product's catalogue (docs/authorization.md §6)", p.ID)
			continue
		}
		if _, ok := designCatalogue[portico.Permission("device."+action)]; !ok {
			t.Errorf("%q is an on-demand permission with no managed-device counterpart device.%s", p.ID, action)
		}
		if p.Scope != portico.ScopeOnDemand || p.Category != portico.CatOnDemand {
			t.Errorf("%q: scope %q category %q, want on_demand/on_demand", p.ID, p.Scope, p.Category)
		}
	}
	if n := len(seen); n > 128 {
		t.Errorf("catalogue has %d permissions; PermissionSet holds 128", n)
	}
}

func TestCatalogueIsACopy(t *testing.T) {
	c := portico.Catalogue()
	c[0].ID = "tampered"
	c[0].Scope = "tampered"
	if got := portico.Catalogue()[0]; got.ID == "tampered" || got.Scope == "tampered" {
		t.Fatalf("changing Catalogue()'s result changed the catalogue: %+v", got)
	}
	i := portico.PermDeviceRemoteControl.Index()
	c[i].Implies[0] = "tampered"
	if info, _ := portico.LookupPermission(portico.PermDeviceRemoteControl); slices.Contains(info.Implies, "tampered") {
		t.Fatalf("changing Catalogue()[i].Implies changed the catalogue: %v", info.Implies)
	}
}

func TestCatalogueReferencesAreKnown(t *testing.T) {
	for _, p := range portico.Catalogue() {
		for _, q := range slices.Concat(p.Implies, p.Prerequisites) {
			if _, ok := portico.LookupPermission(q); !ok {
				t.Errorf("%q names unknown permission %q", p.ID, q)
			}
			if q == p.ID {
				t.Errorf("%q names itself", p.ID)
			}
		}
		if p.GatedBy != "" {
			if _, ok := portico.LookupFeature(p.GatedBy); !ok {
				t.Errorf("%q is gated by unknown feature %q", p.ID, p.GatedBy)
			}
		}
	}
}

// The API serves the catalogue as JSON; lists are [] and never null.
func TestCatalogueJSONHasNoNullLists(t *testing.T) {
	b, err := json.Marshal(portico.Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "null") {
		t.Fatalf("catalogue JSON contains null: %.300s", b)
	}
	var back []map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"id", "category", "scope", "prerequisites", "implies"} {
		if _, ok := back[0][key]; !ok {
			t.Errorf("catalogue JSON lacks %q (docs/api.md)", key)
		}
	}
}

func TestImplications(t *testing.T) {
	tests := []struct {
		p, implies portico.Permission
	}{
		{"account.manage", "account.view"},
		{"billing.manage", "billing.view"},
		{"api_keys.manage", "api_keys.view"},
		{"ip_allowlist.manage", "ip_allowlist.view"},
		{"user_groups.manage", "user_groups.view"},
		{"roles.manage", "roles.view"},
		{"device_groups.manage", "device_groups.view"},
		{"device.remote_control", "device.screen_view"},
		{"on_demand.remote_control", "on_demand.screen_view"},
		{"on_demand.all", "on_demand.own"},
		{"device.recordings.delete", "device.recordings.view"},
	}
	for _, tt := range tests {
		t.Run(string(tt.p), func(t *testing.T) {
			if !portico.NewPermissionSet(tt.p).Expand().Has(tt.implies) {
				t.Errorf("%s does not imply %s", tt.p, tt.implies)
			}
			if portico.NewPermissionSet(tt.implies).Expand().Has(tt.p) {
				t.Errorf("%s implies %s: implication runs backwards", tt.implies, tt.p)
			}
		})
	}
}

// Every X.manage implies X.view when X.view exists ("manage ⇒ view").
func TestEveryManageImpliesItsView(t *testing.T) {
	n := 0
	for _, p := range portico.Catalogue() {
		base, ok := strings.CutSuffix(string(p.ID), ".manage")
		if !ok {
			continue
		}
		view := portico.Permission(base + ".view")
		if _, exists := portico.LookupPermission(view); !exists {
			continue
		}
		n++
		if !slices.Contains(p.Implies, view) {
			t.Errorf("%s.Implies = %v, want it to include %s", p.ID, p.Implies, view)
		}
	}
	if n < 7 {
		t.Errorf("only %d manage/view pairs found", n)
	}
}

func TestEveryDevicePermissionImpliesDeviceView(t *testing.T) {
	n := 0
	for _, p := range portico.Catalogue() {
		if !strings.HasPrefix(string(p.ID), "device.") || p.ID == portico.PermDeviceView {
			continue
		}
		n++
		if !slices.Contains(p.Implies, portico.PermDeviceView) {
			t.Errorf("%s does not imply device.view", p.ID)
		}
	}
	if n != 25 {
		t.Errorf("found %d device.* permissions besides device.view, want 25", n)
	}
	if info, _ := portico.LookupPermission(portico.PermDeviceView); len(info.Implies) != 0 {
		t.Errorf("device.view implies %v, want nothing", info.Implies)
	}
	// devices.list is not a device.* permission and grants no device.
	if portico.NewPermissionSet(portico.PermDevicesList).Expand().Has(portico.PermDeviceView) {
		t.Errorf("devices.list implies device.view")
	}
}

// Implications stay within one kind of scope, or an implication would let a subtree assignment grant an
// account-level permission.
func TestImplicationsKeepScope(t *testing.T) {
	for _, p := range portico.Catalogue() {
		for _, q := range p.Implies {
			qi, _ := portico.LookupPermission(q)
			if qi.Scope != p.Scope {
				t.Errorf("%s (%s) implies %s (%s)", p.ID, p.Scope, q, qi.Scope)
			}
		}
	}
}

func TestPrerequisites(t *testing.T) {
	tests := []struct {
		p    portico.Permission
		want []portico.Permission // in catalogue order
	}{
		{"users.invite", []portico.Permission{"users.view"}},
		{"users.edit", []portico.Permission{"users.view"}},
		{"users.delete", []portico.Permission{"users.view"}},
		{"users.manage_2fa", []portico.Permission{"users.view"}},
		{"user_groups.manage", []portico.Permission{"users.view"}},
		{"role_assignments.manage", []portico.Permission{"users.view", "user_groups.view", "roles.view"}},
		{"users.view", nil},
		{"device.remote_control", nil},
		{"account.manage", nil},
		{"on_demand.all", nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.p), func(t *testing.T) {
			got := portico.NewPermissionSet(tt.p).MissingPrerequisites()
			if !slices.Equal(got, tt.want) {
				t.Errorf("MissingPrerequisites({%s}) = %v, want %v", tt.p, got, tt.want)
			}
			// With its prerequisites, nothing is missing.
			full := portico.NewPermissionSet(append([]portico.Permission{tt.p}, tt.want...)...)
			if m := full.MissingPrerequisites(); len(m) != 0 {
				t.Errorf("with prerequisites added, still missing %v", m)
			}
		})
	}
}

func TestMissingPrerequisitesSatisfiedThroughImplication(t *testing.T) {
	// user_groups.manage implies user_groups.view, which role_assignments.manage needs.
	s := portico.NewPermissionSet("role_assignments.manage", "roles.manage", "users.view", "user_groups.manage")
	if m := s.MissingPrerequisites(); len(m) != 0 {
		t.Errorf("MissingPrerequisites = %v, want none (views implied by manage)", m)
	}
	// Several permissions missing the same prerequisite name it once.
	s = portico.NewPermissionSet("users.invite", "users.edit", "users.delete")
	if m := s.MissingPrerequisites(); !slices.Equal(m, []portico.Permission{"users.view"}) {
		t.Errorf("MissingPrerequisites = %v, want [users.view]", m)
	}
	if m := portico.AllPermissions().MissingPrerequisites(); len(m) != 0 {
		t.Errorf("AllPermissions lacks %v", m)
	}
	if m := (portico.PermissionSet{}).MissingPrerequisites(); len(m) != 0 {
		t.Errorf("empty set lacks %v", m)
	}
}

// Group settings gate exactly the permissions the product's catalogue (docs/authorization.md §6) lists, for managed and on-demand alike.
func TestGating(t *testing.T) {
	gates := map[portico.Feature][]string{
		portico.FeatureChat:            {"chat"},
		portico.FeatureMessage:         {"message"},
		portico.FeatureTerminal:        {"terminal"},
		portico.FeatureRegistry:        {"registry"},
		portico.FeatureTaskManager:     {"task_manager"},
		portico.FeatureFileTransfer:    {"file_transfer"},
		portico.FeatureView:            {"screen_view", "remote_control", "screen_preview"},
		portico.FeatureRequireAck:      nil,
		portico.FeatureShowAgentWindow: nil,
	}
	if len(portico.Features) != len(gates) {
		t.Errorf("%d features, want %d", len(portico.Features), len(gates))
	}
	for _, fi := range portico.Features {
		actions, ok := gates[fi.Feature]
		if !ok {
			t.Errorf("unexpected feature %q", fi.Feature)
			continue
		}
		t.Run(string(fi.Feature), func(t *testing.T) {
			var want portico.PermissionSet
			for _, a := range actions {
				for _, prefix := range []string{"device.", "on_demand."} {
					p := portico.Permission(prefix + a)
					if _, ok := portico.LookupPermission(p); ok {
						want = want.With(p)
					} else if prefix == "device." {
						t.Errorf("%s does not exist", p)
					}
				}
			}
			got := portico.GatedPermissions(fi.Feature)
			if got != want {
				t.Errorf("GatedPermissions(%s) = %v, want %v", fi.Feature, got.List(), want.List())
			}
			for _, p := range got.List() {
				if info, _ := portico.LookupPermission(p); info.GatedBy != fi.Feature {
					t.Errorf("%s.GatedBy = %q", p, info.GatedBy)
				}
			}
		})
	}
	if portico.GatedPermissions("nonsense").Len() != 0 {
		t.Errorf("unknown feature gates %v", portico.GatedPermissions("nonsense").List())
	}
}

func TestFeatureDefaults(t *testing.T) {
	for _, fi := range portico.Features {
		want := fi.Feature != portico.FeatureRequireAck // acknowledgement is off by default, the rest on
		if fi.Default != want {
			t.Errorf("%s default = %v, want %v", fi.Feature, fi.Default, want)
		}
		if got, ok := portico.LookupFeature(fi.Feature); !ok || got != fi {
			t.Errorf("LookupFeature(%s) = %v, %v", fi.Feature, got, ok)
		}
	}
	if _, ok := portico.LookupFeature("Chat"); ok {
		t.Errorf("LookupFeature is case-insensitive")
	}
}

func TestRemoteSet(t *testing.T) {
	r := portico.RemoteSet()
	for _, p := range []portico.Permission{"device.screen_view", "device.remote_control", "device.chat",
		"device.terminal", "device.file_transfer", "device.reboot", "device.wake"} {
		if !r.Has(p) {
			t.Errorf("RemoteSet lacks %s", p)
		}
	}
	for _, p := range []portico.Permission{"device.view", "device.edit", "device.delete", "device.move",
		"devices.list", "device.history", "device_groups.view", "account.manage"} {
		if r.Has(p) {
			t.Errorf("RemoteSet has %s, which needs no licensed device", p)
		}
	}
}

func TestScopeSet(t *testing.T) {
	a, g, o := portico.ScopeSet(portico.ScopeAccountOnly), portico.ScopeSet(portico.ScopeTree),
		portico.ScopeSet(portico.ScopeOnDemand)
	if a.Union(g).Union(o) != portico.AllPermissions() {
		t.Errorf("scopes do not cover the catalogue")
	}
	if !a.Intersect(g).IsEmpty() || !a.Intersect(o).IsEmpty() || !g.Intersect(o).IsEmpty() {
		t.Errorf("scopes overlap")
	}
	for id, want := range designCatalogue {
		if !portico.ScopeSet(want.scope).Has(id) {
			t.Errorf("ScopeSet(%s) lacks %s", want.scope, id)
		}
	}
	if !portico.ScopeSet("bogus").IsEmpty() {
		t.Errorf("ScopeSet(bogus) not empty")
	}
}

func TestPermissionSetOperations(t *testing.T) {
	P := portico.NewPermissionSet
	// Pick permissions on both words of the set (the catalogue has more than 64 entries).
	cat := portico.Catalogue()
	if len(cat) <= 64 {
		t.Fatalf("catalogue has %d entries; test expects > 64", len(cat))
	}
	lo, hi, last := cat[0].ID, cat[64].ID, cat[len(cat)-1].ID
	tests := []struct {
		name string
		got  portico.PermissionSet
		want []portico.Permission
	}{
		{"empty", portico.PermissionSet{}, nil},
		{"new", P(hi, lo), []portico.Permission{lo, hi}},
		{"with", P(lo).With(last), []portico.Permission{lo, last}},
		{"with twice", P(lo).With(lo), []portico.Permission{lo}},
		{"union", P(lo).Union(P(hi)), []portico.Permission{lo, hi}},
		{"union overlap", P(lo, hi).Union(P(hi, last)), []portico.Permission{lo, hi, last}},
		{"minus", P(lo, hi, last).Minus(P(hi)), []portico.Permission{lo, last}},
		{"minus absent", P(lo).Minus(P(hi)), []portico.Permission{lo}},
		{"minus all", P(lo, hi).Minus(portico.AllPermissions()), nil},
		{"intersect", P(lo, hi).Intersect(P(hi, last)), []portico.Permission{hi}},
		{"intersect disjoint", P(lo).Intersect(P(hi)), nil},
		{"expand", P("device.remote_control").Expand(),
			[]portico.Permission{"device.view", "device.screen_view", "device.remote_control"}},
		{"expand on_demand.all", P("on_demand.all").Expand(), []portico.Permission{"on_demand.own", "on_demand.all"}},
		{"expand chain", P("device_groups.settings").Expand(),
			[]portico.Permission{"device_groups.view", "device_groups.settings"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.got.List()
			if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("List() = %v, want %v", got, tt.want)
			}
			if tt.got.Len() != len(tt.want) {
				t.Errorf("Len() = %d, want %d", tt.got.Len(), len(tt.want))
			}
			if tt.got.IsEmpty() != (len(tt.want) == 0) {
				t.Errorf("IsEmpty() = %v", tt.got.IsEmpty())
			}
			for _, p := range tt.want {
				if !tt.got.Has(p) {
					t.Errorf("Has(%s) = false", p)
				}
			}
			if P(tt.want...) != tt.got {
				t.Errorf("set differs from NewPermissionSet(List()...)")
			}
		})
	}
}

func TestPermissionSetLaws(t *testing.T) {
	all := portico.AllPermissions()
	if all.Len() != len(portico.Catalogue()) {
		t.Errorf("AllPermissions().Len() = %d, want %d", all.Len(), len(portico.Catalogue()))
	}
	if all.Expand() != all {
		t.Errorf("AllPermissions().Expand() grew")
	}
	list := all.List()
	for i, p := range portico.Catalogue() {
		if list[i] != p.ID {
			t.Fatalf("List()[%d] = %s, want catalogue order %s", i, list[i], p.ID)
		}
		one := portico.NewPermissionSet(p.ID)
		if one.Len() != 1 || !one.Has(p.ID) || !one.HasIndex(i) {
			t.Errorf("{%s}: Len %d Has %v", p.ID, one.Len(), one.Has(p.ID))
		}
		e := one.Expand()
		if e.Expand() != e {
			t.Errorf("Expand({%s}) is not a fixed point", p.ID)
		}
		if e.Intersect(one) != one {
			t.Errorf("Expand({%s}) lost the permission itself", p.ID)
		}
		if all.Minus(one).Has(p.ID) || all.Minus(one).Len() != all.Len()-1 {
			t.Errorf("Minus({%s}) wrong", p.ID)
		}
	}
	if n := len(portico.AllPermissions().Minus(portico.AllPermissions()).List()); n != 0 {
		t.Errorf("all minus all has %d", n)
	}
}

func TestUnknownPermissionPanicsOnIndex(t *testing.T) {
	for _, f := range map[string]func(){
		"Index":            func() { _ = portico.Permission("device.teleport").Index() },
		"Info":             func() { _ = portico.Permission("").Info() },
		"NewPermissionSet": func() { portico.NewPermissionSet("nope") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic for an unknown permission")
				}
			}()
			f()
		}()
	}
	if _, ok := portico.LookupPermission("Device.View"); ok {
		t.Errorf("LookupPermission is case-insensitive; ids are exact")
	}
	if _, ok := portico.LookupPermission(" device.view"); ok {
		t.Errorf("LookupPermission trims spaces; ids are exact")
	}
}
