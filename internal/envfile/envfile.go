// Package envfile reads a variable the way every webhookd setting and
// secret is read: NAME, or the file NAME_FILE names (a Docker or
// Kubernetes secret mounted as a file), so that no environment listing
// (`docker compose config`, `kubectl describe`) shows the value.
package envfile

import (
	"fmt"
	"os"
	"strings"
)

// Lookup returns NAME's value, or the trimmed content of the file that
// NAME_FILE names. Both set is an error, as is a file that cannot be read;
// neither set is "".
func Lookup(getenv func(string) string, name string) (string, error) {
	v, path := getenv(name), getenv(name+"_FILE")
	switch {
	case path == "":
		return v, nil
	case v != "":
		return "", fmt.Errorf("both %s and %s_FILE are set: set one", name, name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}
