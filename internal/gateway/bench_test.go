package gateway

import (
	"testing"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

// benchStore returns a store holding mockDoc deployed as stage prod.
func benchStore(b *testing.B) store.Store {
	st, err := bolt.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	doc := mockDoc()
	err = st.Update(func(tx store.Tx) error {
		tx.Put(store.KindRestAPI, apiID, doc)
		tx.Put(store.KindDeployment, store.Key(apiID, "dep001"), model.DeploymentRecord{
			Deployment: model.Deployment{Id: "dep001"}, APIID: apiID, Snapshot: doc})
		return tx.Put(store.KindStage, store.Key(apiID, "prod"), model.StageRecord{APIID: apiID,
			Stage: model.Stage{StageName: "prod", DeploymentId: "dep001"}})
	})
	if err != nil {
		b.Fatal(err)
	}
	return st
}
