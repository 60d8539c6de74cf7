//go:build !linux

package care

import "errors"

func raiseNetAdmin() error { return errors.New("capabilities exist on Linux only") }
