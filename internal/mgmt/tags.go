package mgmt

import (
	"net/http"
	"strings"

	"github.com/portico/portico/internal/store"
)

// tagTarget names the object an ARN designates: an API, one of its stages, an API key, a
// usage plan, a custom domain name or a client certificate.
type tagTarget struct{ api, stage, apiKey, plan, domain, clientCert string }

// parseTagARN reads arn:aws:apigateway:{region}::/restapis/{id}[/stages/{name}].
func parseTagARN(arn string) (tagTarget, error) {
	_, path, ok := strings.Cut(arn, "::")
	if !ok || !strings.HasPrefix(arn, "arn:aws:apigateway:") {
		return tagTarget{}, badRequest("Invalid ARN specified in the request")
	}
	p := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case len(p) == 2 && p[0] == "restapis" && p[1] != "":
		return tagTarget{api: p[1]}, nil
	case len(p) == 4 && p[0] == "restapis" && p[1] != "" && p[2] == "stages" && p[3] != "":
		return tagTarget{api: p[1], stage: p[3]}, nil
	case len(p) == 2 && p[0] == "apikeys" && p[1] != "":
		return tagTarget{apiKey: p[1]}, nil
	case len(p) == 2 && p[0] == "usageplans" && p[1] != "":
		return tagTarget{plan: p[1]}, nil
	case len(p) == 2 && p[0] == "domainnames" && p[1] != "":
		return tagTarget{domain: p[1]}, nil
	case len(p) == 2 && p[0] == "clientcertificates" && p[1] != "":
		return tagTarget{clientCert: p[1]}, nil
	}
	return tagTarget{}, badRequest("Portico supports tags on REST APIs, stages, API keys, usage plans, domain names and client certificates only: %s", arn)
}

// withTags runs fn over the tag map of the ARN's object; write stores the object afterwards.
func (s *server) withTags(arn string, write bool, fn func(tags *map[string]string) error) error {
	t, err := parseTagARN(arn)
	if err != nil {
		return err
	}
	run := s.st.View
	if write {
		run = s.st.Update
	}
	return run(func(tx store.Tx) error {
		switch {
		case t.apiKey != "":
			k, err := loadApiKey(tx, t.apiKey)
			if err != nil {
				return err
			}
			if err := fn(&k.Tags); err != nil || !write {
				return err
			}
			return tx.Put(store.KindApiKey, k.Id, k)
		case t.plan != "":
			rec, err := loadPlan(tx, t.plan)
			if err != nil {
				return err
			}
			if err := fn(&rec.Plan.Tags); err != nil || !write {
				return err
			}
			return tx.Put(store.KindUsagePlan, rec.Plan.Id, rec)
		case t.domain != "":
			d, err := loadDomain(tx, t.domain)
			if err != nil {
				return err
			}
			if err := fn(&d.Tags); err != nil || !write {
				return err
			}
			return tx.Put(store.KindDomainName, d.DomainName, d)
		case t.clientCert != "":
			rec, err := loadClientCert(tx, t.clientCert)
			if err != nil {
				return err
			}
			if err := fn(&rec.Certificate.Tags); err != nil || !write {
				return err
			}
			return tx.Put(store.KindClientCertificate, rec.Certificate.ClientCertificateId, rec)
		}
		d, err := s.loadDoc(tx, t.api)
		if err != nil {
			return err
		}
		if t.stage == "" {
			if err := fn(&d.RestApi.Tags); err != nil || !write {
				return err
			}
			return tx.Put(store.KindRestAPI, t.api, d)
		}
		rec, err := loadStage(tx, t.api, t.stage)
		if err != nil {
			return err
		}
		if err := fn(&rec.Stage.Tags); err != nil || !write {
			return err
		}
		return tx.Put(store.KindStage, store.Key(t.api, t.stage), rec)
	})
}

type tagsBody struct {
	Tags map[string]string `json:"tags"`
}

func (s *server) getTags(c *call) (int, any, error) {
	out := &tagsBody{Tags: map[string]string{}}
	err := s.withTags(c.p["arn"], false, func(tags *map[string]string) error {
		for k, v := range *tags {
			out.Tags[k] = v
		}
		return nil
	})
	return http.StatusOK, out, err
}

func (s *server) tagResource(c *call) (int, any, error) {
	var in tagsBody
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	err := s.withTags(c.p["arn"], true, func(tags *map[string]string) error {
		if *tags == nil {
			*tags = map[string]string{}
		}
		for k, v := range in.Tags {
			if k == "" || len(k) > 128 || len(v) > 256 || strings.HasPrefix(k, "aws:") {
				return badRequest("Invalid tag: keys are 1 to 128 characters and may not start with aws:, values at most 256 characters")
			}
			(*tags)[k] = v
		}
		if len(*tags) > 50 {
			return badRequest("A resource can have at most 50 tags")
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (s *server) untagResource(c *call) (int, any, error) {
	err := s.withTags(c.p["arn"], true, func(tags *map[string]string) error {
		for _, k := range c.q["tagKeys"] {
			delete(*tags, k)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
