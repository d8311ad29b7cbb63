package mgmt

import (
	"net/http"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

func gatewayResponseTypes() []string {
	out := make([]string, len(model.GatewayResponseDefaults))
	for i, d := range model.GatewayResponseDefaults {
		out[i] = d.Type
	}
	return out
}

func checkResponseType(t, input string) error {
	if _, ok := model.DefaultGatewayResponse(t); !ok {
		return enumError(t, input+".responseType", gatewayResponseTypes())
	}
	return nil
}

// gatewayResponse returns the configured response of a type, or the built-in one.
func gatewayResponse(d *model.APIDoc, t string) *model.GatewayResponse {
	if gr, ok := d.GatewayResponses[t]; ok {
		return gr
	}
	gr, _ := model.DefaultGatewayResponse(t)
	return gr
}

type putGatewayResponseInput struct {
	StatusCode         string            `json:"statusCode"`
	ResponseParameters map[string]string `json:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates"`
}

func validateGatewayResponse(gr *model.GatewayResponse, input string) error {
	if gr.StatusCode != "" {
		if err := checkStatus(gr.StatusCode, input); err != nil {
			return err
		}
	}
	if gr.ResponseType == "REQUEST_TOO_LARGE" {
		return badRequest("Customizing the REQUEST_TOO_LARGE gateway response is not supported")
	}
	return nil
}

func (s *server) putGatewayResponse(c *call) (int, any, error) {
	t := c.p["type"]
	if err := checkResponseType(t, "putGatewayResponseInput"); err != nil {
		return 0, nil, err
	}
	var in putGatewayResponseInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	gr := &model.GatewayResponse{ResponseType: t, StatusCode: in.StatusCode, ResponseParameters: in.ResponseParameters, ResponseTemplates: in.ResponseTemplates}
	if gr.ResponseParameters == nil {
		gr.ResponseParameters = map[string]string{}
	}
	if gr.ResponseTemplates == nil {
		gr.ResponseTemplates = map[string]string{}
	}
	if err := validateGatewayResponse(gr, "putGatewayResponseInput"); err != nil {
		return 0, nil, err
	}
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		if d.GatewayResponses == nil {
			d.GatewayResponses = map[string]*model.GatewayResponse{}
		}
		d.GatewayResponses[t] = gr
		return nil
	})
	return http.StatusCreated, gr, err
}

func (s *server) getGatewayResponse(c *call) (int, any, error) {
	t := c.p["type"]
	if err := checkResponseType(t, "getGatewayResponseInput"); err != nil {
		return 0, nil, err
	}
	var out *model.GatewayResponse
	err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		out = gatewayResponse(d, t)
		return nil
	})
	return http.StatusOK, out, err
}

// getGatewayResponses lists all types: the configured ones and the built-in rest.
func (s *server) getGatewayResponses(c *call) (int, any, error) {
	var all []*model.GatewayResponse
	if err := s.viewDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		for _, t := range gatewayResponseTypes() {
			all = append(all, gatewayResponse(d, t))
		}
		return nil
	}); err != nil {
		return 0, nil, err
	}
	out, err := paginate(c, all, func(g *model.GatewayResponse) string { return g.ResponseType })
	return http.StatusOK, out, err
}

func (s *server) updateGatewayResponse(c *call) (int, any, error) {
	t := c.p["type"]
	if err := checkResponseType(t, "updateGatewayResponseInput"); err != nil {
		return 0, nil, err
	}
	var out *model.GatewayResponse
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		gr := gatewayResponse(d, t)
		rules := []patchRule{
			replaceString("/statusCode", &gr.StatusCode),
			stringMap("/responseParameters", &gr.ResponseParameters),
			stringMap("/responseTemplates", &gr.ResponseTemplates),
		}
		if err := applyPatch(c, "updateGatewayResponseInput", rules); err != nil {
			return err
		}
		if err := validateGatewayResponse(gr, "updateGatewayResponseInput"); err != nil {
			return err
		}
		gr.DefaultResponse = false
		if d.GatewayResponses == nil {
			d.GatewayResponses = map[string]*model.GatewayResponse{}
		}
		d.GatewayResponses[t] = gr
		out = gr
		return nil
	})
	return http.StatusOK, out, err
}

func (s *server) deleteGatewayResponse(c *call) (int, any, error) {
	t := c.p["type"]
	if err := checkResponseType(t, "deleteGatewayResponseInput"); err != nil {
		return 0, nil, err
	}
	err := s.updateDoc(c.p["api"], func(_ store.Tx, d *model.APIDoc) error {
		if _, ok := d.GatewayResponses[t]; !ok {
			return notFound("Gateway response type not defined on api")
		}
		delete(d.GatewayResponses, t)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}
