package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

func (c *cli) healthCmd() *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "health",
		Short: "GET a health URL; exit 1 unless it answers 200 (container healthchecks of images without curl)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c.ran = true
			return c.runHealth(cmd.Context(), target)
		},
	}
	cmd.Flags().StringVar(&target, "url", "http://127.0.0.1:8080/readyz", "URL that must answer 200")
	return cmd
}

func (c *cli) runHealth(ctx context.Context, target string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprintf(c.stdout, "%s %s\n", resp.Status, body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", target, resp.Status)
	}
	return nil
}
