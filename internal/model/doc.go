package model

import (
	"crypto/rand"
	"encoding/json"
	"sort"
	"strconv"
	"time"
)

// APIDoc is the whole editable definition of one REST API: what the management API changes and
// what a Deployment freezes. Resources and their methods are held by resource id; models by name;
// request validators by id; gateway responses (only the customised ones) by response type.
type APIDoc struct {
	RestApi           RestApi                      `json:"restApi"`
	Resources         map[string]*Resource         `json:"resources"`
	Models            map[string]*Model            `json:"models,omitempty"`
	RequestValidators map[string]*RequestValidator `json:"requestValidators,omitempty"`
	GatewayResponses  map[string]*GatewayResponse  `json:"gatewayResponses,omitempty"`
	// Authorizers belong to the API's definition, so a deployment snapshots them as AWS does.
	Authorizers map[string]*Authorizer `json:"authorizers,omitempty"`
}

// Root returns the root resource ("/").
func (d *APIDoc) Root() *Resource { return d.Resources[d.RestApi.RootResourceId] }

// SortedResources returns the resources ordered by path, the order AWS lists them in.
func (d *APIDoc) SortedResources() []*Resource {
	out := make([]*Resource, 0, len(d.Resources))
	for _, r := range d.Resources {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// ResourceByPath finds a resource by its full path.
func (d *APIDoc) ResourceByPath(path string) *Resource {
	for _, r := range d.Resources {
		if r.Path == path {
			return r
		}
	}
	return nil
}

// Clone returns a deep copy, so a snapshot never shares maps with a document being edited.
func (d *APIDoc) Clone() *APIDoc {
	b, err := json.Marshal(d)
	if err != nil {
		panic("model: APIDoc does not marshal: " + err.Error())
	}
	var c APIDoc
	if err := json.Unmarshal(b, &c); err != nil {
		panic("model: APIDoc does not unmarshal: " + err.Error())
	}
	return &c
}

// DeploymentRecord is a Deployment as stored: AWS's fields plus the frozen API definition that
// stages pointing at it serve.
type DeploymentRecord struct {
	Deployment Deployment `json:"deployment"`
	APIID      string     `json:"apiId"`
	Snapshot   *APIDoc    `json:"snapshot"`
}

// StageRecord is a Stage as stored, with the id of the API it belongs to.
type StageRecord struct {
	Stage Stage  `json:"stage"`
	APIID string `json:"apiId"`
}

// Epoch is a timestamp that v1 JSON carries as epoch seconds (a JSON number).
type Epoch struct{ time.Time }

// Now returns the current time as an Epoch, truncated to seconds as AWS reports it.
func Now() Epoch { return Epoch{time.Now().UTC().Truncate(time.Second)} }

// MarshalJSON writes epoch seconds.
func (e Epoch) MarshalJSON() ([]byte, error) {
	if e.IsZero() {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, e.Unix(), 10), nil
}

// UnmarshalJSON reads epoch seconds (integer or fractional) or null.
func (e *Epoch) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		e.Time = time.Time{}
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	sec := int64(f)
	e.Time = time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
	return nil
}

// IsZero reports whether the time is unset; fields tagged omitzero then leave it out.
func (e Epoch) IsZero() bool { return e.Time.IsZero() }

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// NewID returns a random lowercase alphanumeric identifier of n characters, the shape of AWS ids
// (10 for APIs, root resources and API keys; 6 for child resources, deployments, models...).
func NewID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("model: no randomness: " + err.Error())
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}
