package masters

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	// Namespace and SliceName name the EndpointSlice the apiserver keeps
	// for the kubernetes Service.
	Namespace = "default"
	SliceName = "kubernetes"
	// PortName is the slice's port used for the masters; the only port is
	// used when none has this name.
	PortName = "https"
	// RBACName names the Role and RoleBinding, after kubeadm's
	// "kubeadm:<purpose>" objects (kubeadm:get-nodes,
	// kubeadm:nodes-kubeadm-config).
	RBACName = "kubeadm:locallb-masters"
	// NodesGroup is the group of every node's credentials.
	NodesGroup = "system:nodes"
)

// RBAC returns the smallest grant that lets nodes follow the masters: get,
// list and watch of the one EndpointSlice default/kubernetes, for group
// system:nodes. A Role in namespace default, not a ClusterRole: a
// ClusterRole's resourceNames would match a slice named kubernetes in every
// namespace. The list and watch are authorised by name only because the
// Watcher sends the field selector metadata.name=kubernetes (see the package
// documentation). kubeadm init, and a phase for clusters made by upstream
// kubeadm, create these; each call returns new objects.
func RBAC() (*rbacv1.Role, *rbacv1.RoleBinding) {
	role := &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "Role"},
		ObjectMeta: metav1.ObjectMeta{Name: RBACName, Namespace: Namespace},
		Rules: []rbacv1.PolicyRule{{
			APIGroups:     []string{"discovery.k8s.io"},
			Resources:     []string{"endpointslices"},
			ResourceNames: []string{SliceName},
			Verbs:         []string{"get", "list", "watch"},
		}},
	}
	binding := &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "RoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: RBACName, Namespace: Namespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: RBACName},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: NodesGroup}},
	}
	return role, binding
}
