package mgmt

import (
	"context"
	"net/http"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// MethodTester runs one request through a method of an API's current, undeployed definition,
// as TestInvokeMethod (the console's Test button) does. The server wires it to the data plane,
// which mgmt must not import.
type MethodTester interface {
	// TestInvokeMethod runs in against the method verb of resource resourceID in doc (which
	// the tester may keep: it is a copy). An error means the API cannot be run at all.
	TestInvokeMethod(ctx context.Context, doc *model.APIDoc, resourceID, verb string, in *model.TestInvokeMethodRequest) (*model.TestInvokeMethodResponse, error)
}

func (s *server) testInvokeMethod(c *call) (int, any, error) {
	var in model.TestInvokeMethodRequest
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	var doc *model.APIDoc
	err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		if _, _, err := findMethod(d, c.p["res"], c.p["verb"]); err != nil {
			return err
		}
		doc = d.Clone()
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	if s.opts.MethodTester == nil {
		return 0, nil, badRequest("TestInvokeMethod is not available on this server")
	}
	out, err := s.opts.MethodTester.TestInvokeMethod(c.r.Context(), doc, c.p["res"], c.p["verb"], &in)
	if err != nil {
		return 0, nil, badRequest("%s", err.Error())
	}
	return http.StatusOK, out, nil
}
