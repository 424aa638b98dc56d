package main

import (
	"github.com/spf13/cobra"

	"github.com/webhookd/webhookd/internal/httpserve"
)

func (c *cli) healthCmd() *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "health",
		Short: "GET a health URL; exit 1 unless it answers 200 (container healthchecks of images without curl)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c.ran = true
			return httpserve.Check(cmd.Context(), target, c.stdout)
		},
	}
	cmd.Flags().StringVar(&target, "url", "http://127.0.0.1:8080/readyz", "URL that must answer 200")
	return cmd
}
