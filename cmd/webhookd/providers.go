package main

import (
	"github.com/spf13/cobra"

	"github.com/webhookd/webhookd/internal/provider"
)

func (c *cli) providersCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "providers",
		Short: "list the presets (`preset: NAME` in the providers file): scheme, headers, secret, handshake",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c.ran = true
			return provider.WritePresets(c.stdout)
		},
	}
}
