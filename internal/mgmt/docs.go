package mgmt

import (
	"errors"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// The helpers below load an API's document inside a transaction and find objects in it,
// answering AWS's NotFound messages.

func (s *server) apiNotFound(id string) *apiError {
	return notFound("Invalid API identifier specified %s:%s", s.opts.AccountID, id)
}

func (s *server) loadDoc(tx store.Tx, id string) (*model.APIDoc, error) {
	var d model.APIDoc
	if err := tx.Get(store.KindRestAPI, id, &d); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, s.apiNotFound(id)
		}
		return nil, err
	}
	if d.Resources == nil {
		d.Resources = map[string]*model.Resource{}
	}
	return &d, nil
}

// viewDoc runs fn over the API's document in a read-only transaction.
func (s *server) viewDoc(id string, fn func(tx store.Tx, d *model.APIDoc) error) error {
	return s.st.View(func(tx store.Tx) error {
		d, err := s.loadDoc(tx, id)
		if err != nil {
			return err
		}
		return fn(tx, d)
	})
}

// updateDoc runs fn over the API's document and stores it if fn succeeds, all in one
// transaction.
func (s *server) updateDoc(id string, fn func(tx store.Tx, d *model.APIDoc) error) error {
	return s.st.Update(func(tx store.Tx) error {
		d, err := s.loadDoc(tx, id)
		if err != nil {
			return err
		}
		if err := fn(tx, d); err != nil {
			return err
		}
		return tx.Put(store.KindRestAPI, id, d)
	})
}

func findResource(d *model.APIDoc, id string) (*model.Resource, error) {
	r, ok := d.Resources[id]
	if !ok {
		return nil, notFound("Invalid Resource identifier specified")
	}
	return r, nil
}

func findMethod(d *model.APIDoc, resID, verb string) (*model.Resource, *model.Method, error) {
	r, err := findResource(d, resID)
	if err != nil {
		return nil, nil, err
	}
	m, ok := r.ResourceMethods[verb]
	if !ok {
		return nil, nil, notFound("Invalid Method identifier specified")
	}
	return r, m, nil
}

func findIntegration(d *model.APIDoc, resID, verb string) (*model.Integration, error) {
	_, m, err := findMethod(d, resID, verb)
	if err != nil {
		return nil, err
	}
	if m.MethodIntegration == nil {
		return nil, notFound("Invalid Integration identifier specified")
	}
	return m.MethodIntegration, nil
}

// newChildID returns a 6-character id not yet used by any resource, model, validator or
// authorizer of d.
func newChildID(d *model.APIDoc) string {
	for {
		id := model.NewID(6)
		if _, ok := d.Resources[id]; ok {
			continue
		}
		taken := false
		for _, m := range d.Models {
			taken = taken || m.Id == id
		}
		if _, ok := d.Authorizers[id]; ok {
			continue
		}
		if _, ok := d.RequestValidators[id]; ok || taken {
			continue
		}
		return id
	}
}
