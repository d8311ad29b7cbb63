package observe

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Record is what the access log and the metrics know of one finished request.
type Record struct {
	RequestID, ExtendedRequestID string
	AccountID, APIID, Stage      string
	DeploymentID                 string
	DomainName, DomainPrefix     string
	HTTPMethod, Path, Protocol   string
	ResourceID, ResourcePath     string
	SourceIP, UserAgent          string
	APIKey, APIKeyID             string
	// ErrorMessage and ErrorType are $context.error.message and .responseType when the
	// gateway answered with a gateway response.
	ErrorMessage, ErrorType string
	ValidationError         string
	XrayTraceID             string
	// AccessKey, CallerAccountID, Caller, User and UserArn are $context.identity's of a
	// request signed by an IAM caller ("" otherwise).
	AccessKey, CallerAccountID, Caller, User, UserArn string
	// ClientCert is $context.identity.clientCert.* of a mutual TLS request (nil otherwise).
	ClientCert *ClientCert
	// BasePathMatched is $context.customDomain.basePathMatched.
	BasePathMatched string
	// IsCanaryRequest marks a request the stage's canary release served.
	IsCanaryRequest bool
	// Authorizer answers $context.authorizer.* (nil: no authorizer ran).
	Authorizer AuthorizerValues

	Start          time.Time
	Status         int
	ResponseLength int64
	Latency        time.Duration
	// Integrated is set when a backend was called; IntegrationLatency and IntegrationStatus
	// (0 when no answer came) describe that call.
	Integrated         bool
	IntegrationLatency time.Duration
	IntegrationStatus  int
	// CacheHit and CacheMiss count a request of a method its stage caches, answered from the
	// cache or from the backend.
	CacheHit, CacheMiss bool
}

// AuthorizerValues are what an authorizer left for the request: Value returns
// $context.authorizer.{name} ("principalId", "claims.email", a Lambda authorizer's context
// key), "" when there is none.
type AuthorizerValues interface {
	Value(name string) string
}

// field is one $context variable an access log line can hold.
type field uint8

const (
	fNone field = iota // a variable Portico does not fill: always "-"
	fAccountID
	fAPIID
	fDeploymentID
	fDomainName
	fDomainPrefix
	fErrorMessage
	fErrorMessageString
	fErrorResponseType
	fValidationError
	fExtendedRequestID
	fHTTPMethod
	fSourceIP
	fUserAgent
	fAPIKey
	fAPIKeyID
	fAccessKey
	fCallerAccountID
	fCaller
	fUser
	fUserArn
	fPath
	fProtocol
	fRequestID
	fRequestTime
	fRequestTimeEpoch
	fResourceID
	fResourcePath
	fStage
	fStatus
	fResponseLength
	fResponseLatency
	fIntegrationLatency
	fIntegrationStatus
	fXrayTraceID
	fClientCertPem
	fClientSubjectDN
	fClientIssuerDN
	fClientSerialNumber
	fClientNotBefore
	fClientNotAfter
	fBasePathMatched
	fIsCanaryRequest
	// fAuthorizer is $context.authorizer.{name}, the name kept beside the reference.
	fAuthorizer
)

var fieldNames = map[string]field{
	"identity.clientCert.clientCertPem":      fClientCertPem,
	"identity.clientCert.subjectDN":          fClientSubjectDN,
	"identity.clientCert.issuerDN":           fClientIssuerDN,
	"identity.clientCert.serialNumber":       fClientSerialNumber,
	"identity.clientCert.validity.notBefore": fClientNotBefore,
	"identity.clientCert.validity.notAfter":  fClientNotAfter,
	"customDomain.basePathMatched":           fBasePathMatched,

	"accountId":                   fAccountID,
	"apiId":                       fAPIID,
	"deploymentId":                fDeploymentID,
	"domainName":                  fDomainName,
	"domainPrefix":                fDomainPrefix,
	"error.message":               fErrorMessage,
	"error.messageString":         fErrorMessageString,
	"error.responseType":          fErrorResponseType,
	"error.validationErrorString": fValidationError,
	"extendedRequestId":           fExtendedRequestID,
	"httpMethod":                  fHTTPMethod,
	"identity.sourceIp":           fSourceIP,
	"identity.userAgent":          fUserAgent,
	"identity.apiKey":             fAPIKey,
	"identity.apiKeyId":           fAPIKeyID,
	"identity.accessKey":          fAccessKey,
	"identity.accountId":          fCallerAccountID,
	"identity.caller":             fCaller,
	"identity.user":               fUser,
	"identity.userArn":            fUserArn,
	"path":                        fPath,
	"protocol":                    fProtocol,
	"requestId":                   fRequestID,
	"requestTime":                 fRequestTime,
	"requestTimeEpoch":            fRequestTimeEpoch,
	"resourceId":                  fResourceID,
	"resourcePath":                fResourcePath,
	"stage":                       fStage,
	"status":                      fStatus,
	"responseLength":              fResponseLength,
	"responseLatency":             fResponseLatency,
	"integrationLatency":          fIntegrationLatency,
	"integration.latency":         fIntegrationLatency,
	"integrationStatus":           fIntegrationStatus,
	"integration.status":          fIntegrationStatus,
	"xrayTraceId":                 fXrayTraceID,
	"isCanaryRequest":             fIsCanaryRequest,
}

type escaping uint8

const (
	escPlain escaping = iota
	escJSON
	escXML
)

// Format is a compiled access log format.
type Format struct {
	lits   []string // lits[i] precedes refs[i]; the last literal follows the last reference
	refs   []field
	names  []string // names[i] is the authorizer value refs[i] names ("" for other fields)
	escape escaping
}

// CompileFormat compiles a stage's accessLogSettings.format. It never fails: text that is not a
// $context reference is literal, and an unknown variable renders "-". Line breaks in the format
// become spaces, as a log line is one line.
func CompileFormat(s string) *Format {
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	f := &Format{}
	switch t := strings.TrimLeft(s, " \t"); {
	case strings.HasPrefix(t, "{"):
		f.escape = escJSON
	case strings.HasPrefix(t, "<"):
		f.escape = escXML
	}
	const prefix = "$context."
	var lit strings.Builder
	for {
		i := strings.Index(s, prefix)
		if i < 0 {
			lit.WriteString(s)
			break
		}
		lit.WriteString(s[:i])
		rest := s[i+len(prefix):]
		n := 0
		for n < len(rest) && isNameByte(rest[n]) {
			n++
		}
		name := strings.TrimRight(rest[:n], ".")
		if name == "" {
			lit.WriteString(prefix)
			s = rest
			continue
		}
		f.lits = append(f.lits, lit.String())
		lit.Reset()
		ref, sub := fieldNames[name], ""
		if a, ok := strings.CutPrefix(name, "authorizer."); ok {
			ref, sub = fAuthorizer, a
		}
		f.refs = append(f.refs, ref)
		f.names = append(f.names, sub)
		s = rest[len(name):]
	}
	f.lits = append(f.lits, lit.String())
	return f
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
}

// Append appends the line for r (without a newline) to b.
func (f *Format) Append(b []byte, r *Record) []byte {
	for i, ref := range f.refs {
		b = append(b, f.lits[i]...)
		if ref == fAuthorizer {
			v := ""
			if r.Authorizer != nil {
				v = r.Authorizer.Value(f.names[i])
			}
			b = f.appendValue(b, v)
			continue
		}
		b = f.appendField(b, ref, r)
	}
	return append(b, f.lits[len(f.lits)-1]...)
}

func (f *Format) appendField(b []byte, ref field, r *Record) []byte {
	switch ref {
	case fStatus:
		if r.Status == 0 {
			return append(b, '-')
		}
		return strconv.AppendInt(b, int64(r.Status), 10)
	case fResponseLength:
		return strconv.AppendInt(b, r.ResponseLength, 10)
	case fResponseLatency:
		return strconv.AppendInt(b, r.Latency.Milliseconds(), 10)
	case fIntegrationLatency:
		if !r.Integrated {
			return append(b, '-')
		}
		return strconv.AppendInt(b, r.IntegrationLatency.Milliseconds(), 10)
	case fIntegrationStatus:
		if r.IntegrationStatus == 0 {
			return append(b, '-')
		}
		return strconv.AppendInt(b, int64(r.IntegrationStatus), 10)
	case fRequestTime:
		return appendCLFTime(b, r.Start)
	case fRequestTimeEpoch:
		return strconv.AppendInt(b, r.Start.UnixMilli(), 10)
	case fIsCanaryRequest:
		return strconv.AppendBool(b, r.IsCanaryRequest)
	case fErrorMessageString:
		if r.ErrorMessage == "" {
			return append(b, '-')
		}
		return f.appendValue(b, strconv.Quote(r.ErrorMessage))
	}
	return f.appendValue(b, r.str(ref))
}

func (r *Record) str(ref field) string {
	switch ref {
	case fAccountID:
		return r.AccountID
	case fAPIID:
		return r.APIID
	case fDeploymentID:
		return r.DeploymentID
	case fDomainName:
		return r.DomainName
	case fDomainPrefix:
		return r.DomainPrefix
	case fErrorMessage:
		return r.ErrorMessage
	case fErrorResponseType:
		return r.ErrorType
	case fValidationError:
		return r.ValidationError
	case fExtendedRequestID:
		return r.ExtendedRequestID
	case fHTTPMethod:
		return r.HTTPMethod
	case fSourceIP:
		return r.SourceIP
	case fUserAgent:
		return r.UserAgent
	case fAPIKey:
		return r.APIKey
	case fAPIKeyID:
		return r.APIKeyID
	case fAccessKey:
		return r.AccessKey
	case fCallerAccountID:
		return r.CallerAccountID
	case fCaller:
		return r.Caller
	case fUser:
		return r.User
	case fUserArn:
		return r.UserArn
	case fPath:
		return r.Path
	case fProtocol:
		return r.Protocol
	case fRequestID:
		return r.RequestID
	case fResourceID:
		return r.ResourceID
	case fResourcePath:
		return r.ResourcePath
	case fStage:
		return r.Stage
	case fXrayTraceID:
		return r.XrayTraceID
	}
	if ref == fBasePathMatched {
		return r.BasePathMatched
	}
	if c := r.ClientCert; c != nil {
		switch ref {
		case fClientCertPem:
			return c.PEM
		case fClientSubjectDN:
			return c.SubjectDN
		case fClientIssuerDN:
			return c.IssuerDN
		case fClientSerialNumber:
			return c.SerialNumber
		case fClientNotBefore:
			return c.NotBefore
		case fClientNotAfter:
			return c.NotAfter
		}
	}
	return ""
}

// ClientCert is a mutual TLS client's certificate as $context.identity.clientCert shows it.
type ClientCert struct {
	PEM, SubjectDN, IssuerDN, SerialNumber, NotBefore, NotAfter string
}

const hexDigits = "0123456789abcdef"

var monthNames = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// appendCLFTime appends t in UTC as 02/Jan/2006:15:04:05 +0000, what time.AppendFormat gives
// for that layout at a fraction of its cost.
func appendCLFTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	}
	h, mi, sec := t.Clock()
	two := func(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }
	b = two(b, d)
	b = append(b, '/')
	b = append(b, monthNames[mo-1]...)
	b = append(b, '/')
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), ':')
	b = two(b, h)
	b = append(b, ':')
	b = two(b, mi)
	b = append(b, ':')
	b = two(b, sec)
	return append(b, " +0000"...)
}

// plainByte reports whether c is written as itself in every escaping.
func plainByte(c byte) bool {
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '&' && c != '<' && c != '>' && c != '\''
}

// appendValue appends s escaped for the format, "-" when empty.
func (f *Format) appendValue(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	i := 0
	for i < len(s) && plainByte(s[i]) {
		i++
	}
	if i == len(s) {
		return append(b, s...)
	}
	b = append(b, s[:i]...)
	for i < len(s) {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, "\ufffd"...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		}
		i++
		switch f.escape {
		case escJSON:
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
		case escXML:
			switch c {
			case '&':
				b = append(b, "&amp;"...)
			case '<':
				b = append(b, "&lt;"...)
			case '>':
				b = append(b, "&gt;"...)
			case '"':
				b = append(b, "&quot;"...)
			case '\'':
				b = append(b, "&apos;"...)
			default:
				if c < 0x20 {
					c = ' '
				}
				b = append(b, c)
			}
		default:
			if c < 0x20 || c == 0x7f {
				c = ' '
			}
			b = append(b, c)
		}
	}
	return b
}
