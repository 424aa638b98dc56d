package devstack

import "go.temporal.io/server/common/dynamicconfig"

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
