//go:build race

package care

// raceEnabled: built with -race, which slows every cold TLS handshake of a
// probe several times over.
const raceEnabled = true
