package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Customer is who a provider's event is about, as the provider knows them
// (provider.Customer).
type Customer struct {
	UserID     string
	CustomerID string
	Email      string
	// Create: an unknown UserID is created with Email.
	Create bool
}

// ResolveUser finds the user of a provider's customer: the user id the app
// set at checkout (which must exist), else the link learned from an earlier
// event of the same customer id, else the email address (case-insensitive).
// A user found by id or address is linked to the customer id for later
// events. None: ErrUnknownUser, naming what was tried.
func (s *Store) ResolveUser(ctx context.Context, provider string, c Customer) (User, error) {
	u, err := s.findUser(ctx, provider, c)
	if err != nil {
		return User{}, err
	}
	if c.CustomerID != "" {
		_, err := s.db.ExecContext(ctx, `
			INSERT INTO customer_links (provider, customer_id, user_id) VALUES ($1, $2, $3)
			ON CONFLICT (provider, customer_id) DO UPDATE SET user_id = EXCLUDED.user_id, updated_at = now()
			WHERE customer_links.user_id <> EXCLUDED.user_id`, provider, c.CustomerID, u.ID)
		if err != nil {
			return User{}, fmt.Errorf("store: link customer %s/%s: %w", provider, c.CustomerID, err)
		}
	}
	return u, nil
}

const userColumns = `users.id, users.email, users.plan, users.plan_updated_at, users.email_valid,
	users.email_bounce_type, users.marketing_opt_out, users.created_at, users.updated_at`

func (s *Store) findUser(ctx context.Context, provider string, c Customer) (User, error) {
	if c.UserID != "" {
		u, err := s.GetUser(ctx, c.UserID)
		if errors.Is(err, ErrUnknownUser) && c.Create && c.Email != "" {
			created, err := s.CreateUser(ctx, c.UserID, c.Email)
			if err != nil {
				return User{}, err
			}
			u, err := s.GetUser(ctx, c.UserID)
			u.Created = created
			return u, err
		}
		return u, err
	}
	var u User
	if c.CustomerID != "" {
		err := s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM customer_links JOIN users ON users.id = customer_links.user_id
			WHERE provider = $1 AND customer_id = $2`, provider, c.CustomerID)
		if err == nil {
			return u, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return User{}, fmt.Errorf("store: customer link %s/%s: %w", provider, c.CustomerID, err)
		}
	}
	if c.Email != "" {
		err := s.db.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1) ORDER BY id LIMIT 1`, c.Email)
		if err == nil {
			return u, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return User{}, fmt.Errorf("store: user by email: %w", err)
		}
	}
	// The address is not quoted: errors reach logs, alerts and Temporal.
	return User{}, fmt.Errorf("store: no user for customer %q (user id %q, nor one with the event's address): %w", c.CustomerID, c.UserID, ErrUnknownUser)
}
