//go:build !race

package care

const raceEnabled = false
