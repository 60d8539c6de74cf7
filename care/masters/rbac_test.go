package masters

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// The grant is exactly get/list/watch of default/kubernetes's slice, bound
// to every node, and the binding points at the role.
func TestRBAC(t *testing.T) {
	role, binding := RBAC()
	if role.Name != "kubeadm:locallb-masters" || role.Namespace != "default" || role.Kind != "Role" || role.APIVersion != "rbac.authorization.k8s.io/v1" {
		t.Fatalf("role %s %s/%s %s", role.Kind, role.Namespace, role.Name, role.APIVersion)
	}
	want := rbacv1.PolicyRule{
		APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"},
		ResourceNames: []string{"kubernetes"}, Verbs: []string{"get", "list", "watch"},
	}
	if len(role.Rules) != 1 {
		t.Fatalf("%d rules, want 1", len(role.Rules))
	}
	r := role.Rules[0]
	if !slices.Equal(r.APIGroups, want.APIGroups) || !slices.Equal(r.Resources, want.Resources) ||
		!slices.Equal(r.ResourceNames, want.ResourceNames) || !slices.Equal(r.Verbs, want.Verbs) || len(r.NonResourceURLs) != 0 {
		t.Fatalf("rule %+v, want %+v", r, want)
	}
	if binding.Name != role.Name || binding.Namespace != role.Namespace || binding.Kind != "RoleBinding" ||
		binding.RoleRef != (rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role.Name}) {
		t.Fatalf("binding %+v does not bind the role %s", binding, role.Name)
	}
	if len(binding.Subjects) != 1 || binding.Subjects[0] != (rbacv1.Subject{APIGroup: "rbac.authorization.k8s.io", Kind: "Group", Name: "system:nodes"}) {
		t.Fatalf("subjects %+v, want group system:nodes only", binding.Subjects)
	}
	// New objects each call: a caller may change them.
	role.Rules[0].Verbs[0] = "delete"
	if again, _ := RBAC(); again.Rules[0].Verbs[0] != "get" {
		t.Fatal("RBAC returned shared objects")
	}
}
