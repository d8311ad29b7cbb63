package mgmt

import (
	"bytes"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// API keys are account-level objects; the data plane follows their changes without a redeploy.
// Choices where AWS is not documented: a value already held by another key is refused with 409
// (the data plane finds keys by value, so values are unique); the legacy stageKeys are refused
// (usage plans replace them); an imported key without an Enabled column is disabled, as a
// created key without `enabled` is.

const keyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newKeyValue returns a 40-character key value, the length AWS generates.
func newKeyValue() string {
	b := make([]byte, 40)
	if _, err := rand.Read(b); err != nil {
		panic("mgmt: no randomness: " + err.Error())
	}
	for i := range b {
		b[i] = keyAlphabet[int(b[i])%len(keyAlphabet)]
	}
	return string(b)
}

func checkKeyValue(v string, minLen int) error {
	if len(v) < minLen {
		return badRequest("API Key value should be at least %d characters", minLen)
	}
	if len(v) > 128 {
		return badRequest("API Key value exceeds maximum size of 128 characters")
	}
	return nil
}

func checkKeyName(n string) error {
	if len(n) > 1024 {
		return badRequest("Invalid API Key name, can be at most 1024 characters.")
	}
	return nil
}

func loadApiKey(tx store.Tx, id string) (*model.ApiKey, error) {
	var k model.ApiKey
	if err := tx.Get(store.KindApiKey, id, &k); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound("Invalid API Key identifier specified")
		}
		return nil, err
	}
	return &k, nil
}

func listApiKeys(tx store.Tx) ([]*model.ApiKey, error) {
	var out []*model.ApiKey
	err := tx.List(store.KindApiKey, "", func(_ string, raw []byte) error {
		var k model.ApiKey
		if err := json.Unmarshal(raw, &k); err != nil {
			return err
		}
		out = append(out, &k)
		return nil
	})
	return out, err
}

// checkValueFree refuses a value another key holds.
func checkValueFree(tx store.Tx, value, self string) error {
	keys, err := listApiKeys(tx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.Value == value && k.Id != self {
			return conflict("API Key value already exists")
		}
	}
	return nil
}

// newApiKeyID returns an unused 10-character key id.
func newApiKeyID(tx store.Tx) (string, error) {
	for {
		id := model.NewID(10)
		var k model.ApiKey
		err := tx.Get(store.KindApiKey, id, &k)
		if errors.Is(err, store.ErrNotFound) {
			return id, nil
		}
		if err != nil {
			return "", err
		}
	}
}

// withoutValue is the key as GetApiKey answers without includeValue.
func withoutValue(k *model.ApiKey, include bool) *model.ApiKey {
	if include {
		return k
	}
	c := *k
	c.Value = ""
	return &c
}

type createApiKeyInput struct {
	Name               string            `json:"name"`
	Description        string            `json:"description"`
	Enabled            bool              `json:"enabled"`
	GenerateDistinctId bool              `json:"generateDistinctId"`
	Value              *string           `json:"value"`
	StageKeys          []json.RawMessage `json:"stageKeys"`
	CustomerId         string            `json:"customerId"`
	Tags               map[string]string `json:"tags"`
}

func (s *server) createApiKey(c *call) (int, any, error) {
	var in createApiKeyInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if len(in.StageKeys) > 0 {
		return 0, nil, badRequest("stageKeys are not supported by Portico: add the key to a usage plan of the API stage instead")
	}
	if err := checkKeyName(in.Name); err != nil {
		return 0, nil, err
	}
	value := newKeyValue()
	if in.Value != nil {
		if err := checkKeyValue(*in.Value, 20); err != nil {
			return 0, nil, err
		}
		value = *in.Value
	}
	now := model.Now()
	k := &model.ApiKey{Name: in.Name, Description: in.Description, Enabled: in.Enabled, Value: value,
		CustomerId: in.CustomerId, Tags: in.Tags, CreatedDate: now, LastUpdatedDate: now}
	err := s.st.Update(func(tx store.Tx) error {
		if err := checkValueFree(tx, value, ""); err != nil {
			return err
		}
		id, err := newApiKeyID(tx)
		if err != nil {
			return err
		}
		k.Id = id
		return tx.Put(store.KindApiKey, id, k)
	})
	return http.StatusCreated, k, err
}

func (s *server) getApiKey(c *call) (int, any, error) {
	var out *model.ApiKey
	err := s.st.View(func(tx store.Tx) error {
		k, err := loadApiKey(tx, c.p["key"])
		out = k
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, withoutValue(out, c.q.Get("includeValue") == "true"), nil
}

func (s *server) getApiKeys(c *call) (int, any, error) {
	var keys []*model.ApiKey
	err := s.st.View(func(tx store.Tx) error {
		all, err := listApiKeys(tx)
		include := c.q.Get("includeValues") == "true"
		for _, k := range all {
			if name := c.q.Get("name"); name != "" && !strings.HasPrefix(k.Name, name) {
				continue
			}
			if cust := c.q.Get("customerId"); cust != "" && k.CustomerId != cust {
				continue
			}
			keys = append(keys, withoutValue(k, include))
		}
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	out, err := paginate(c, keys, func(k *model.ApiKey) string { return k.Id })
	return http.StatusOK, out, err
}

func (s *server) updateApiKey(c *call) (int, any, error) {
	var out *model.ApiKey
	err := s.st.Update(func(tx store.Tx) error {
		k, err := loadApiKey(tx, c.p["key"])
		if err != nil {
			return err
		}
		rules := []patchRule{
			replaceString("/description", &k.Description),
			replaceBool("/enabled", &k.Enabled),
			{path: "/name", ops: replaceOnly, apply: func(p patch) error {
				if err := checkKeyName(p.value); err != nil {
					return err
				}
				k.Name = p.value
				return nil
			}},
			replaceString("/customerId", &k.CustomerId),
		}
		if err := applyPatch(c, "updateApiKeyInput", rules); err != nil {
			return err
		}
		k.LastUpdatedDate = model.Now()
		out = k
		return tx.Put(store.KindApiKey, k.Id, k)
	})
	return http.StatusOK, out, err
}

// deleteApiKey removes the key and its usage plan memberships, so no plan names a missing key.
func (s *server) deleteApiKey(c *call) (int, any, error) {
	id := c.p["key"]
	err := s.st.Update(func(tx store.Tx) error {
		if _, err := loadApiKey(tx, id); err != nil {
			return err
		}
		plans, err := listPlans(tx)
		if err != nil {
			return err
		}
		for _, p := range plans {
			for _, kind := range []store.Kind{store.KindUsagePlanKey, store.KindUsage} {
				if err := tx.Delete(kind, store.Key(p.Plan.Id, id)); err != nil {
					return err
				}
			}
		}
		return tx.Delete(store.KindApiKey, id)
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

type importKeysOutput struct {
	Ids      []string `json:"ids"`
	Warnings []string `json:"warnings"`
}

// importApiKeys reads AWS's API key file: a CSV whose header names (any case, any order) the
// columns Key (required), Name, Description, Enabled and UsagePlanIds (separated by ':' or ',').
func (s *server) importApiKeys(c *call) (int, any, error) {
	if f := c.q.Get("format"); f != "csv" {
		return 0, nil, enumError(f, "importApiKeysInput.format", []string{"csv"})
	}
	r := csv.NewReader(bytes.NewReader(c.body))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return 0, nil, badRequest("Invalid API key file: the first line must name the columns (Key, Name, Description, Enabled, UsagePlanIds)")
	}
	cols := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		switch name {
		case "key", "name", "description", "enabled", "usageplanids":
			cols[name] = i
		default:
			return 0, nil, badRequest("Invalid API key file: unknown column %q", h)
		}
	}
	if _, ok := cols["key"]; !ok {
		return 0, nil, badRequest("Invalid API key file: the Key column is required")
	}
	type row struct {
		key   model.ApiKey
		plans []string
	}
	var rows []row
	out := &importKeysOutput{Ids: []string{}, Warnings: []string{}}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, nil, badRequest("Invalid API key file: %v", err)
		}
		field := func(name string) string {
			if i, ok := cols[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		k := model.ApiKey{Value: field("key"), Name: field("name"), Description: field("description")}
		if err := checkKeyValue(k.Value, 30); err != nil {
			return 0, nil, badRequest("Invalid API key file, line %d: %s", line, err.(*apiError).msg)
		}
		if err := checkKeyName(k.Name); err != nil {
			return 0, nil, err
		}
		switch strings.ToLower(field("enabled")) {
		case "true":
			k.Enabled = true
		case "false", "":
		default:
			return 0, nil, badRequest("Invalid API key file, line %d: Enabled must be TRUE or FALSE", line)
		}
		var plans []string
		for _, p := range strings.FieldsFunc(field("usageplanids"), func(r rune) bool { return r == ':' || r == ',' }) {
			plans = append(plans, strings.TrimSpace(p))
		}
		rows = append(rows, row{k, plans})
	}
	if len(rows) == 0 {
		return 0, nil, badRequest("Invalid API key file: no keys")
	}
	err = s.st.Update(func(tx store.Tx) error {
		seen := map[string]bool{}
		now := model.Now()
		for i := range rows {
			k := &rows[i].key
			if seen[k.Value] {
				return conflict("API Key value already exists")
			}
			seen[k.Value] = true
			if err := checkValueFree(tx, k.Value, ""); err != nil {
				return err
			}
			id, err := newApiKeyID(tx)
			if err != nil {
				return err
			}
			k.Id, k.CreatedDate, k.LastUpdatedDate = id, now, now
			if err := tx.Put(store.KindApiKey, id, k); err != nil {
				return err
			}
			for _, planID := range rows[i].plans {
				if err := addPlanKey(tx, planID, k); err != nil {
					return err
				}
			}
			out.Ids = append(out.Ids, id)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, out, nil
}
