package users

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ImportResult counts an import's lines; Invalid lists each bad line by
// its number and why, and the line was skipped.
type ImportResult struct {
	Created, Updated int
	Invalid          []string
}

// Write says what an import did: each skipped line, then the counts.
func (r ImportResult) Write(w io.Writer) {
	for _, line := range r.Invalid {
		fmt.Fprintf(w, "skipped %s\n", line)
	}
	fmt.Fprintf(w, "created %d, updated %d, invalid %d\n", r.Created, r.Updated, len(r.Invalid))
}

// Import upserts users from r: CSV lines "id,email" (an "id,email" header
// is skipped), or JSON lines {"id": …, "email": …}, told apart by the
// first character. A bad line is skipped and named; a database error
// stops the import.
func (s *Service) Import(ctx context.Context, r io.Reader) (ImportResult, error) {
	br := bufio.NewReader(r)
	first, _ := br.Peek(64)
	if bytes.HasPrefix(bytes.TrimLeft(first, " \t\r\n\ufeff"), []byte("{")) {
		return s.importJSON(ctx, br)
	}
	return s.importCSV(ctx, br)
}

// put applies one line, counting it in res; a bad line is noted.
func (s *Service) put(ctx context.Context, res *ImportResult, line int, id, email string) error {
	_, created, err := s.Put(ctx, strings.TrimSpace(id), strings.TrimSpace(email))
	var fe *FieldError
	switch {
	case errors.As(err, &fe):
		res.Invalid = append(res.Invalid, fmt.Sprintf("line %d: %v", line, fe))
	case err != nil:
		return fmt.Errorf("line %d: %w", line, err)
	case created:
		res.Created++
	default:
		res.Updated++
	}
	return nil
}

func (s *Service) importCSV(ctx context.Context, r io.Reader) (ImportResult, error) {
	var res ImportResult
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return res, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				res.Invalid = append(res.Invalid, fmt.Sprintf("line %d: %v", pe.Line, pe.Err))
				continue
			}
			return res, err
		}
		if line == 1 && len(rec) == 2 && strings.EqualFold(strings.TrimPrefix(rec[0], "\ufeff"), "id") && strings.EqualFold(rec[1], "email") {
			continue
		}
		if len(rec) != 2 {
			res.Invalid = append(res.Invalid, fmt.Sprintf("line %d: want 2 fields (id,email), got %d", line, len(rec)))
			continue
		}
		if err := s.put(ctx, &res, line, rec[0], rec[1]); err != nil {
			return res, err
		}
	}
}

func (s *Service) importJSON(ctx context.Context, r io.Reader) (ImportResult, error) {
	var res ImportResult
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var u struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		}
		if err := json.Unmarshal([]byte(text), &u); err != nil {
			res.Invalid = append(res.Invalid, fmt.Sprintf("line %d: not a JSON object with id and email", line))
			continue
		}
		if err := s.put(ctx, &res, line, u.ID, u.Email); err != nil {
			return res, err
		}
	}
	return res, sc.Err()
}
