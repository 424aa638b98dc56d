package devstack

import (
	"database/sql"
	"fmt"

	"go.temporal.io/server/common/dynamicconfig"
)

// SearchAttributeRefreshForced reports whether every search-attribute read
// still goes to the database.
func (t *Temporal) SearchAttributeRefreshForced() bool {
	b, _ := t.setting(dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key()).(bool)
	return b
}

// setting is the value dev set for a dynamic-config key, nil if none.
func (t *Temporal) setting(key dynamicconfig.Key) any {
	for _, v := range t.dyn.GetValue(key) {
		return v.Value
	}
	return nil
}

// VisibilityQueueReads is the visibility queue's reads per second and
// page size.
func (t *Temporal) VisibilityQueueReads() (perSecond, page any) {
	return t.setting(dynamicconfig.VisibilityProcessorMaxPollRPS.Key()), t.setting(dynamicconfig.VisibilityTaskBatchSize.Key())
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
