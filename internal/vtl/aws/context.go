package aws

import (
	"fmt"
	"strconv"

	"github.com/portico/portico/internal/vtl"
)

// contextObj is $context. Its members are read from the Request when a template asks, so a
// render pays only for what it uses; the nested objects are built once per render.
type contextObj struct {
	r          *Bindings
	identity   *vtl.Map
	authorizer *vtl.Map
	errInfo    *vtl.Map
	reqOv      *overrideRoot
	respOv     *overrideRoot
}

// contextKeys is the order $context prints and iterates in.
var contextKeys = []string{
	"accountId", "apiId", "authorizer", "awsEndpointRequestId", "deploymentId", "domainName",
	"domainPrefix", "error", "extendedRequestId", "httpMethod", "identity", "isCanaryRequest",
	"path", "protocol", "requestId", "requestOverride", "requestTime", "requestTimeEpoch",
	"resourceId", "resourcePath", "responseOverride", "stage", "wafResponseCode", "webaclArn",
}

// str is a context string as a template value: empty reads as null.
func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (c *contextObj) Property(name string) (any, bool) {
	x := &c.r.req.Context
	switch name {
	case "accountId":
		return str(x.AccountID), true
	case "apiId":
		return str(x.APIID), true
	case "authorizer":
		return c.authorizerMap(), true
	case "awsEndpointRequestId":
		return str(x.AWSEndpointRequestID), true
	case "deploymentId":
		return str(x.DeploymentID), true
	case "domainName":
		return str(x.DomainName), true
	case "domainPrefix":
		return str(x.DomainPrefix), true
	case "error":
		return c.errorMap(), true
	case "extendedRequestId":
		return str(x.ExtendedRequestID), true
	case "httpMethod":
		return str(x.HTTPMethod), true
	case "identity":
		return c.identityMap(), true
	case "customDomain":
		// Not among contextKeys: it is there only for requests through a custom domain.
		if x.BasePathMatched == "" {
			return nil, true
		}
		m := vtl.NewMap(1)
		m.Put("basePathMatched", x.BasePathMatched)
		return m, true
	case "isCanaryRequest":
		return x.IsCanaryRequest, true
	case "path":
		return str(x.Path), true
	case "protocol":
		return str(x.Protocol), true
	case "requestId":
		return str(x.RequestID), true
	case "requestOverride":
		if c.reqOv == nil {
			c.reqOv = newOverrideRoot("$context.requestOverride", "header", "querystring", "path")
		}
		return c.reqOv, true
	case "requestTime":
		return str(x.RequestTime), true
	case "requestTimeEpoch":
		return x.RequestTimeEpoch, true
	case "resourceId":
		return str(x.ResourceID), true
	case "resourcePath":
		return str(x.ResourcePath), true
	case "responseOverride":
		if c.respOv == nil {
			c.respOv = newOverrideRoot("$context.responseOverride", "header")
			c.respOv.allowStatus = true
		}
		return c.respOv, true
	case "stage":
		return str(x.Stage), true
	case "wafResponseCode":
		return str(x.WAFResponseCode), true
	case "webaclArn":
		return str(x.WebACLArn), true
	}
	return nil, false
}

func (c *contextObj) Call(method string, args []any) (any, error) {
	return mapLikeCall(c, contextKeys, method, args)
}

// String prints $context as the Java map it is on AWS.
func (c *contextObj) String() string {
	m := vtl.NewMap(len(contextKeys))
	for _, k := range contextKeys {
		v, _ := c.Property(k)
		m.Put(k, v)
	}
	return vtl.ToString(m)
}

// mapLikeCall gives a host object the read-only Map methods templates use on $context and its
// parts: get, containsKey, keySet, size, isEmpty, toString.
func mapLikeCall(o vtl.Object, keys []string, method string, args []any) (any, error) {
	switch {
	case method == "get" && len(args) == 1:
		v, _ := o.Property(vtl.ToString(args[0]))
		return v, nil
	case method == "containsKey" && len(args) == 1:
		_, ok := o.Property(vtl.ToString(args[0]))
		return ok, nil
	case method == "keySet" && len(args) == 0:
		l := &vtl.List{Items: make([]any, len(keys))}
		for i, k := range keys {
			l.Items[i] = k
		}
		return l, nil
	case method == "size" && len(args) == 0:
		return int64(len(keys)), nil
	case method == "isEmpty" && len(args) == 0:
		return len(keys) == 0, nil
	case method == "toString" && len(args) == 0:
		return vtl.ToString(o), nil
	}
	return nil, vtl.ErrNoMethod
}

// identityMap is $context.identity, in the order of AWS's own event samples.
func (c *contextObj) identityMap() *vtl.Map {
	if c.identity != nil {
		return c.identity
	}
	id := &c.r.req.Context.Identity
	m := vtl.NewMap(17)
	m.Put("cognitoIdentityPoolId", str(id.CognitoIdentityPoolID))
	m.Put("accountId", str(id.AccountID))
	m.Put("cognitoIdentityId", str(id.CognitoIdentityID))
	m.Put("caller", str(id.Caller))
	m.Put("sourceIp", str(id.SourceIP))
	m.Put("principalOrgId", str(id.PrincipalOrgID))
	m.Put("accessKey", str(id.AccessKey))
	m.Put("cognitoAuthenticationType", str(id.CognitoAuthenticationType))
	m.Put("cognitoAuthenticationProvider", str(id.CognitoAuthenticationProvider))
	m.Put("userArn", str(id.UserArn))
	m.Put("userAgent", str(id.UserAgent))
	m.Put("user", str(id.User))
	m.Put("apiKey", str(id.APIKey))
	m.Put("apiKeyId", str(id.APIKeyID))
	m.Put("vpcId", str(id.VpcID))
	m.Put("vpceId", str(id.VpceID))
	if cc := id.ClientCert; cc != nil {
		cm := vtl.NewMap(5)
		cm.Put("clientCertPem", str(cc.ClientCertPem))
		cm.Put("subjectDN", str(cc.SubjectDN))
		cm.Put("issuerDN", str(cc.IssuerDN))
		cm.Put("serialNumber", str(cc.SerialNumber))
		v := vtl.NewMap(2)
		v.Put("notBefore", str(cc.NotBefore))
		v.Put("notAfter", str(cc.NotAfter))
		cm.Put("validity", v)
		m.Put("clientCert", cm)
	} else {
		m.Put("clientCert", nil)
	}
	c.identity = m
	return m
}

// authorizerMap is $context.authorizer: principalId, claims, then the authorizer's context
// values in name order. Only what the authorizer supplied is present.
func (c *contextObj) authorizerMap() *vtl.Map {
	if c.authorizer != nil {
		return c.authorizer
	}
	a := &c.r.req.Context.Authorizer
	m := vtl.NewMap(2 + len(a.Values))
	if a.PrincipalID != "" {
		m.Put("principalId", a.PrincipalID)
	}
	if len(a.Claims) > 0 {
		m.Put("claims", &claims{m: a.Claims})
	}
	for _, k := range sortedKeys(a.Values) {
		if k != "principalId" && k != "claims" {
			m.Put(k, a.Values[k])
		}
	}
	c.authorizer = m
	return m
}

// claims is $context.authorizer.claims: its properties resolve, the object itself reads as
// null (prints empty), as AWS documents.
type claims struct{ m map[string]string }

func (c *claims) Property(name string) (any, bool) {
	v, ok := c.m[name]
	if !ok {
		return nil, false
	}
	return v, true
}

func (c *claims) Call(method string, args []any) (any, error) {
	if method == "get" && len(args) == 1 {
		v, _ := c.Property(vtl.ToString(args[0]))
		return v, nil
	}
	return nil, vtl.ErrNoMethod
}

// errorMap is $context.error.
func (c *contextObj) errorMap() *vtl.Map {
	if c.errInfo != nil {
		return c.errInfo
	}
	e := &c.r.req.Context.Error
	m := vtl.NewMap(4)
	m.Put("message", str(e.Message))
	if e.Message != "" || e.ResponseType != "" {
		m.Put("messageString", strconv.Quote(e.Message))
	} else {
		m.Put("messageString", nil)
	}
	m.Put("responseType", str(e.ResponseType))
	m.Put("validationErrorString", str(e.ValidationErrorString))
	c.errInfo = m
	return m
}

// overrideRoot is $context.requestOverride or $context.responseOverride: fixed members, each a
// writable map, plus a status for responses.
type overrideRoot struct {
	name        string
	kinds       []string
	maps        []*overrideMap
	allowStatus bool
	status      any
	statusSet   bool
}

func newOverrideRoot(name string, kinds ...string) *overrideRoot {
	o := &overrideRoot{name: name, kinds: kinds, maps: make([]*overrideMap, len(kinds))}
	for i, k := range kinds {
		o.maps[i] = &overrideMap{name: name + "." + k}
	}
	return o
}

func (o *overrideRoot) keys() []string {
	if o.allowStatus {
		return append([]string{"status"}, o.kinds...)
	}
	return o.kinds
}

func (o *overrideRoot) Property(name string) (any, bool) {
	if o.allowStatus && name == "status" {
		return o.status, true
	}
	for i, k := range o.kinds {
		if k == name {
			return o.maps[i], true
		}
	}
	return nil, false
}

func (o *overrideRoot) Call(method string, args []any) (any, error) {
	return mapLikeCall(o, o.keys(), method, args)
}

func (o *overrideRoot) SetProperty(name string, v any) error {
	if o.allowStatus && name == "status" {
		if o.statusSet {
			return fmt.Errorf("%s.status is set twice in one template", o.name)
		}
		o.status, o.statusSet = v, true
		return nil
	}
	return fmt.Errorf("%s.%s cannot be replaced; set its entries", o.name, name)
}

func (o *overrideRoot) String() string {
	m := vtl.NewMap(len(o.kinds) + 1)
	for _, k := range o.keys() {
		v, _ := o.Property(k)
		m.Put(k, v)
	}
	return vtl.ToString(m)
}

// overrideMap is one writable override map, such as $context.requestOverride.header. Each key
// may be set once per render.
type overrideMap struct {
	name string
	m    *vtl.Map
}

func (o *overrideMap) entries() *vtl.Map {
	if o.m == nil {
		o.m = vtl.NewMap(4)
	}
	return o.m
}

func (o *overrideMap) Property(name string) (any, bool) {
	if o.m == nil {
		return nil, false
	}
	return o.m.Get(name)
}

func (o *overrideMap) SetProperty(name string, v any) error {
	m := o.entries()
	if _, dup := m.Get(name); dup {
		return fmt.Errorf("%s.%s is set twice in one template", o.name, name)
	}
	m.Put(name, v)
	return nil
}

func (o *overrideMap) Call(method string, args []any) (any, error) {
	if method == "put" && len(args) == 2 {
		old, _ := o.Property(vtl.ToString(args[0]))
		return old, o.SetProperty(vtl.ToString(args[0]), args[1])
	}
	var keys []string
	if o.m != nil {
		keys = o.m.Keys()
	}
	return mapLikeCall(o, keys, method, args)
}

func (o *overrideMap) String() string { return vtl.ToString(o.entries()) }

// params returns the entries as overrides: a list value gives several values.
func (o *overrideMap) params() []Param {
	if o.m == nil || o.m.Len() == 0 {
		return nil
	}
	out := make([]Param, 0, o.m.Len())
	vals := o.m.Values()
	for i, k := range o.m.Keys() {
		p := Param{Name: k}
		if l, ok := vals[i].(*vtl.List); ok {
			for _, it := range l.Items {
				p.Values = append(p.Values, vtl.ToString(it))
			}
		} else {
			p.Values = []string{vtl.ToString(vals[i])}
		}
		out = append(out, p)
	}
	return out
}
