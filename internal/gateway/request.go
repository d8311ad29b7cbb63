package gateway

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/portico/portico/internal/auth/iam"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/integration/httpproxy"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/runtime"
	awsvtl "github.com/portico/portico/internal/vtl/aws"
)

// request is the state of one invocation, shared by its phases. It is pooled.
type request struct {
	w http.ResponseWriter
	r *http.Request

	requestID  string
	extendedID string
	start      time.Time
	accountID  string

	api      *runtime.API
	host     string
	stage    string
	path     string // the path after the stage, raw (undecoded), "/..." or ""
	resource *runtime.Resource
	method   *runtime.Method
	params   []string
	paramBuf [8]string
	body     *limitedBody
	bodyBuf  limitedBody
	// replay holds a body read whole before the integration (validation), for it to read again.
	replay   replayBody
	upstream httpproxy.Request
	// validationError is $context.error.validationErrorString: why request validation failed.
	validationError string
	// domain is the custom domain the request came through (nil: an invoke URL); clientCert
	// is the client's certificate when the domain requires mutual TLS.
	domain     *domain.Domain
	clientCert *x509.Certificate
	// basePath is the domain's base path mapping the request matched.
	basePath string
	// apiKey and apiKeyID are the API key the request was accepted with ("" when none).
	apiKey, apiKeyID string
	// caller is the IAM identity that signed the request (authorize_iam.go); nil when none.
	caller *iam.Caller
	// policyAllowed is set when the resource policy explicitly allows the call; auth is the
	// Lambda authorizer's answer (nil when none ran) and authLatency the call's duration.
	policyAllowed bool
	auth          *authorization
	authLatency   time.Duration
	// authRun is what the access log says of the Lambda authorizer phase.
	authRun authRun

	// reqBody is the whole request body once a non-proxy integration has read it.
	reqBody     []byte
	reqBodyRead bool
	reqDoc      jsonDoc
	overrides   overrides
	// tmplReq is what mapping templates see of the request, built on first use.
	tmplReq *awsvtl.Request
	// obs is what the access log and metrics record of the request (observe.go).
	obs observation
	// compress compresses the answer when the stage sets minimumCompressionSize
	// (compression.go).
	compress compressWriter
	// cache says whether the response cache answered (cache.go).
	cache cacheOutcome
	// exec gathers the request's execution log lines (execlog.go); nil when its stage does
	// not log.
	exec *execTrace
	// spans is the request's OpenTelemetry trace and intSpan its integration span (trace.go);
	// nil when its stage is not traced.
	spans   *observe.Trace
	intSpan *observe.Span
}

var requestPool = sync.Pool{New: func() any { return new(request) }}

func newRequest(w http.ResponseWriter, r *http.Request) *request {
	rc := requestPool.Get().(*request)
	rc.w, rc.r = w, r
	rc.requestID, rc.extendedID = newRequestID(), newExtendedID()
	// A client may choose the request id, as on AWS, if it sends a well-formed UUID.
	if v := r.Header["X-Amzn-Requestid"]; len(v) == 1 && isUUID(v[0]) {
		rc.requestID = v[0]
	}
	rc.start = time.Now()
	ids := &[2]string{rc.requestID, rc.extendedID}
	h := w.Header()
	h["X-Amzn-Requestid"] = ids[0:1:1]
	h["X-Amz-Apigw-Id"] = ids[1:2:2]
	rc.params = rc.paramBuf[:0]
	return rc
}

func (rc *request) release() {
	*rc = request{}
	requestPool.Put(rc)
}

// newRequestID returns a random (version 4) UUID. math/rand/v2's global source is per-thread
// ChaCha8: fast, lock-free and unpredictable enough for ids that are not secrets.
func newRequestID() string {
	var b [16]byte
	a, c := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		b[i], b[8+i] = byte(a>>(8*i)), byte(c>>(8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// isUUID reports whether s is a UUID in its 8-4-4-4-12 hexadecimal form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// newExtendedID returns an id shaped like AWS's x-amz-apigw-id (16 characters, e.g.
// OPwe_ErKvHcF5ZA=): 11 random bytes in URL-safe base64.
func newExtendedID() string {
	var b [11]byte
	a, c := rand.Uint64(), rand.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = byte(a >> (8 * i))
	}
	for i := 0; i < 3; i++ {
		b[8+i] = byte(c >> (8 * i))
	}
	var s [16]byte
	base64.URLEncoding.Encode(s[:], b[:])
	return string(s[:])
}

// newTraceID returns an X-Amzn-Trace-Id value, Root=1-{epoch seconds hex}-{96 random bits hex}.
func newTraceID(epoch int64) string {
	var s [40]byte
	copy(s[:], "Root=1-")
	const digits = "0123456789abcdef"
	for i := 0; i < 8; i++ {
		s[7+i] = digits[(epoch>>(28-4*i))&0xf]
	}
	s[15] = '-'
	a, c := rand.Uint64(), rand.Uint64()
	for i := 0; i < 16; i++ {
		s[16+i] = digits[(a>>(4*i))&0xf]
	}
	for i := 0; i < 8; i++ {
		s[32+i] = digits[(c>>(4*i))&0xf]
	}
	return string(s[:])
}

// setHeader sets a mapped header when its value is present.
func (rc *request) setHeader(h http.Header, p *runtime.HeaderParam, e *gatewayError) {
	if p.Values != nil {
		h[p.Name] = p.Values
		return
	}
	if v, ok := rc.source(p.Source, e); ok {
		h[p.Name] = []string{v}
	}
}

// jsonContentType is the shared value of the default Content-Type (never modified).
var jsonContentType = []string{"application/json"}

// source evaluates a compiled mapping expression against the request. ok=false means the value
// is absent (the header or parameter is then not set).
func (rc *request) source(src runtime.Source, e *gatewayError) (string, bool) {
	switch src.Kind {
	case runtime.SrcLiteral:
		return src.Name, true
	case runtime.SrcPath:
		i := src.Index
		if i < 0 && rc.resource != nil {
			i = -1
			for j, n := range rc.resource.ParamNames {
				if n == src.Name {
					i = j
				}
			}
		}
		if i >= 0 && i < len(rc.params) {
			return rc.params[i], true
		}
		return "", false
	case runtime.SrcQuery:
		return queryValue(rc.r.URL.RawQuery, src.Name)
	case runtime.SrcHeader:
		v := rc.r.Header.Values(src.Name)
		if len(v) == 0 {
			return "", false
		}
		return v[0], true
	case runtime.SrcContext:
		if v, ok := rc.contextVar(src.Name, e); ok {
			return v, true
		}
		// Any other $context variable reads as in a template; null maps nothing.
		v, ok := rc.renderRef(src.Ref, e)
		return v, ok && v != ""
	}
	return rc.moreSource(src)
}

// contextVar returns the value of $context.name for this request.
func (rc *request) contextVar(name string, e *gatewayError) (string, bool) {
	switch name {
	case "requestId":
		return rc.requestID, true
	case "extendedRequestId":
		return rc.extendedID, true
	case "httpMethod":
		return rc.r.Method, true
	case "protocol":
		return "HTTP/1.1", true
	case "domainName":
		return rc.host, true
	case "domainPrefix":
		p, _, _ := strings.Cut(rc.host, ".")
		return p, true
	case "identity.sourceIp":
		return clientIP(rc.r), true
	case "identity.userAgent":
		return rc.r.UserAgent(), true
	case "identity.apiKey":
		return rc.apiKey, true
	case "identity.apiKeyId":
		return rc.apiKeyID, true
	case "identity.accessKey", "identity.accountId", "identity.caller", "identity.user", "identity.userArn":
		return rc.identityVar(name)
	case "accountId":
		return rc.accountID, true
	case "requestTimeEpoch":
		return strconv.FormatInt(rc.start.UnixMilli(), 10), true
	case "requestTime":
		return rc.start.UTC().Format("02/Jan/2006:15:04:05 -0700"), true
	}
	if rc.api != nil {
		switch name {
		case "apiId":
			return rc.api.ID, true
		case "stage":
			return rc.api.Stage, true
		case "deploymentId":
			return rc.api.DeploymentID, true
		case "path":
			return "/" + rc.api.Stage + rc.path, true
		}
	}
	if rc.resource != nil {
		switch name {
		case "resourcePath":
			return rc.resource.Path, true
		case "resourceId":
			return rc.resource.ID, true
		}
	}
	if e != nil {
		switch name {
		case "error.message":
			return e.message, true
		case "error.messageString":
			return string(observe.AppendJSONString(nil, e.message)), true
		case "error.responseType":
			return e.typ.String(), true
		case "error.validationErrorString":
			return rc.validationError, true
		}
	}
	return "", false
}

// queryValue returns the first form-decoded value of name in a raw query string.
func queryValue(raw, name string) (string, bool) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k != name {
			if dk, err := queryUnescape(k); err != nil || dk != name {
				continue
			}
		}
		dv, err := queryUnescape(v)
		if err != nil {
			return v, true
		}
		return dv, true
	}
	return "", false
}

func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// limitedBody cuts a request body that grows past the payload limit.
type limitedBody struct {
	rc      io.ReadCloser
	left    int64
	tripped bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.tripped {
		return 0, errTooLargeBody
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		b.tripped = true
		b.left = 0
		return 0, errTooLargeBody
	}
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
