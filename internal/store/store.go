// Package store defines where Portico's configuration documents live: a small transactional
// key-value interface over JSON documents of the model, grouped by kind, plus a change feed that
// tells the data plane what to recompile. Implementations live in subpackages (bolt: embedded).
//
// store imports only the model.
package store

import (
	"errors"
	"strings"
)

// Kind names a collection of documents.
type Kind string

// The kinds of documents Portico keeps.
const (
	KindRestAPI      Kind = "restapis"      // key: apiId → model.APIDoc
	KindDeployment   Kind = "deployments"   // key: apiId/deploymentId → model.DeploymentRecord
	KindStage        Kind = "stages"        // key: apiId/stageName → model.StageRecord
	KindMeta         Kind = "meta"          // key: free → any small document
	KindApiKey       Kind = "apikeys"       // key: keyId → model.ApiKey
	KindUsagePlan    Kind = "usageplans"    // key: planId → model.UsagePlanRecord
	KindUsagePlanKey Kind = "usageplankeys" // key: planId/keyId → model.UsagePlanKey
	KindUsage        Kind = "usage"         // key: planId/keyId → model.UsageRecord
	KindFunction     Kind = "functions"     // key: function name → functions.Function
	KindIAM          Kind = "iam"           // key: user/{name} → model.IAMUser, role/{name} → model.IAMRole, session/{accessKeyId} → model.IAMSession

	KindDomainName        Kind = "domainnames"        // key: domain name → model.DomainName
	KindBasePathMapping   Kind = "basepathmappings"   // key: domainName/basePath → model.BasePathMapping
	KindClientCertificate Kind = "clientcertificates" // key: id → model.ClientCertificateRecord
)

// Kinds lists every kind; implementations create one collection each.
var Kinds = []Kind{KindRestAPI, KindDeployment, KindStage, KindMeta, KindApiKey, KindUsagePlan, KindUsagePlanKey, KindUsage, KindFunction, KindIAM,
	KindDomainName, KindBasePathMapping, KindClientCertificate}

// ErrNotFound is returned by Get when no document has the key.
var ErrNotFound = errors.New("store: document not found")

// Key joins the parts of a compound key.
func Key(parts ...string) string { return strings.Join(parts, "/") }

// Tx reads and writes documents. Within Store.Update every write of the function commits
// together or not at all.
type Tx interface {
	// Get unmarshals the document at key into v, or returns ErrNotFound.
	Get(kind Kind, key string, v any) error
	// Put marshals v as the document at key.
	Put(kind Kind, key string, v any) error
	// Delete removes the document at key; deleting a missing key is not an error.
	Delete(kind Kind, key string) error
	// List calls fn, in key order, for each document whose key starts with prefix; fn unmarshals
	// the raw JSON it is given if it wants it. Returning an error stops the walk.
	List(kind Kind, prefix string, fn func(key string, raw []byte) error) error
}

// Change says that a document was written or deleted.
type Change struct {
	Kind Kind
	Key  string
}

// Store is a transactional document store with a change feed.
type Store interface {
	// View runs fn in a read-only transaction.
	View(fn func(Tx) error) error
	// Update runs fn in a read-write transaction; if fn returns an error nothing is written.
	// After a commit, subscribers receive one Change per key written or deleted.
	Update(fn func(Tx) error) error
	// Subscribe returns a channel of changes and a function that ends the subscription. The
	// channel is buffered; a subscriber that falls behind receives a Change with an empty Kind,
	// which means "reload everything".
	Subscribe() (<-chan Change, func())
	Close() error
}
