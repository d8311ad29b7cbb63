package mgmt

import (
	"net/http"

	"github.com/portico/portico/internal/store"
)

// CacheFlusher empties a stage's response cache; the server passes the data plane, which holds
// the caches.
type CacheFlusher interface {
	FlushStageCache(apiID, stage string)
}

// flushStageCache is FlushStageCache: the stage must exist; a stage whose cache cluster is off
// has nothing to flush and answers the same.
func (s *server) flushStageCache(c *call) (int, any, error) {
	apiID, stage := c.p["api"], c.p["stage"]
	err := s.st.View(func(tx store.Tx) error {
		if _, err := s.loadDoc(tx, apiID); err != nil {
			return err
		}
		_, err := loadStage(tx, apiID, stage)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	if s.opts.Caches != nil {
		s.opts.Caches.FlushStageCache(apiID, stage)
	}
	return http.StatusAccepted, nil, nil
}
