//go:build !linux

package care

func raiseNetAdmin() error { return errNetAdminNotPermitted }
