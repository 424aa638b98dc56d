package devstack

import (
	"database/sql"
	"fmt"

	"go.temporal.io/server/common/dynamicconfig"
)

// SearchAttributeRefreshForced reports whether every search-attribute read
// still goes to the database.
func (t *Temporal) SearchAttributeRefreshForced() bool {
	for _, v := range t.dyn.GetValue(dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key()) {
		if b, ok := v.Value.(bool); ok && b {
			return true
		}
	}
	return false
}

// VisibilityQueueReads is the visibility queue's reads per second and
// page size.
func (t *Temporal) VisibilityQueueReads() (perSecond, page any) {
	get := func(key dynamicconfig.Key) any {
		for _, v := range t.dyn.GetValue(key) {
			return v.Value
		}
		return nil
	}
	return get(dynamicconfig.VisibilityProcessorMaxPollRPS.Key()), get(dynamicconfig.VisibilityTaskBatchSize.Key())
}

// VisibilityIndexes lists the indexes of the visibility table in a SQLite
// file, by name.
func VisibilityIndexes(file string) ([]string, error) {
	db, err := sql.Open("sqlite", file)
	if err != nil {
		return nil, fmt.Errorf("devstack: visibility indexes: %w", err)
	}
	defer db.Close()
	return indexNames(db, sqliteVisibilityIndexes)
}
