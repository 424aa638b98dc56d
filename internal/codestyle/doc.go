// Package codestyle holds checks of the repository's own code that go vet
// and staticcheck do not make; they run with the tests.
package codestyle
