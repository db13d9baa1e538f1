//go:build !linux || !(amd64 || arm64)

package atomicfile

// Exchange would swap the names a and b atomically; here it always returns ErrNoExchange.
func Exchange(a, b string) error { return ErrNoExchange }
