package gateway

import (
	"net/http"
	"strings"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/observe"
	"github.com/portico/portico/internal/runtime"
)

// telemetry is what a loaded stage is logged and counted with: its access log and stage-level
// series, and the series of each method whose methodSettings turn metricsEnabled on. It is
// resolved once at load, so recording a request builds no label strings.
type telemetry struct {
	stage   observe.Stage
	methods map[*runtime.Method]*observe.Series
	exec    execSettings
	// tracer is set when the stage has tracingEnabled (trace.go); segment, "{apiName}/{stage}"
	// as X-Ray names it, is the name of its requests' spans.
	tracer  *observe.Tracer
	segment string
}

// attachTelemetry resolves the stage's access log and metric series into api.Observe. A
// destination that cannot be opened is logged and the stage's lines go to the default sink.
func (g *Gateway) attachTelemetry(api *runtime.API, rec *model.DeploymentRecord, st *model.StageRecord) {
	if g.opts.Metrics == nil && g.opts.AccessLogs == nil && g.opts.ExecLogs == nil && g.opts.Tracer == nil {
		return
	}
	t := &telemetry{}
	if g.opts.Tracer != nil && st.Stage.TracingEnabled {
		name := api.ID
		if rec.Snapshot != nil && rec.Snapshot.RestApi.Name != "" {
			name = rec.Snapshot.RestApi.Name
		}
		t.tracer, t.segment = g.opts.Tracer, name+"/"+api.Stage
	}
	if g.opts.ExecLogs != nil {
		t.exec = resolveExec(api, st.Stage.MethodSettings)
	}
	if als := st.Stage.AccessLogSettings; g.opts.AccessLogs != nil && als != nil && als.Format != "" {
		sink, err := g.opts.AccessLogs.For(als.DestinationArn)
		if err != nil {
			g.log.Error("access log destination cannot be opened; using the default one", "api", api.ID,
				"stage", api.Stage, "destinationArn", als.DestinationArn, "error", err)
			sink, err = g.opts.AccessLogs.For("")
		}
		if err == nil {
			t.stage.Format, t.stage.Log = observe.CompileFormat(als.Format), sink
		}
	}
	if m := g.opts.Metrics; m != nil {
		name := api.ID
		if rec.Snapshot != nil && rec.Snapshot.RestApi.Name != "" {
			name = rec.Snapshot.RestApi.Name
		}
		// A canary release is counted apart, under the stage name CloudWatch gives it.
		stage := api.Stage
		if api.IsCanary {
			stage += "/Canary"
		}
		t.stage.Series = m.Series(api.ID, name, stage, "", "")
		api.Routes.Walk(func(res *runtime.Resource, meth *runtime.Method) {
			if !metricsEnabled(st.Stage.MethodSettings, res.Path, meth.Verb.String()) {
				return
			}
			if t.methods == nil {
				t.methods = map[*runtime.Method]*observe.Series{}
			}
			t.methods[meth] = m.Series(api.ID, name, stage, res.Path, meth.Verb.String())
		})
	}
	api.Observe = t
}

// retainSeries stops exporting the metric series no served stage uses any more. It runs on
// the goroutine that loads stages, after each batch of changes.
func (g *Gateway) retainSeries() {
	if g.opts.Metrics == nil {
		return
	}
	keep := map[*observe.Series]bool{}
	g.table.Each(func(api *runtime.API) {
		for _, a := range [2]*runtime.API{api, api.Canary} {
			if a == nil {
				continue
			}
			if t, _ := a.Observe.(*telemetry); t != nil {
				keep[t.stage.Series] = true
				for _, s := range t.methods {
					keep[s] = true
				}
			}
		}
	})
	g.opts.Metrics.Retain(keep)
}

// metricsEnabled reads the method's own settings block, else the stage's "*/*".
func metricsEnabled(settings map[string]*model.MethodSetting, path, verb string) bool {
	if ms := settings[strings.TrimPrefix(path, "/")+"/"+verb]; ms != nil {
		return ms.MetricsEnabled
	}
	if ms := settings["*/*"]; ms != nil {
		return ms.MetricsEnabled
	}
	return false
}

// observation is what a request records for its access log line and metrics: the response
// as written (rc.w points here while telemetry is on) and the integration call.
type observation struct {
	http.ResponseWriter
	status    int
	written   int64
	intStart  time.Time
	intEnd    time.Time
	intStatus int
	failure   *gatewayError
}

func (o *observation) WriteHeader(code int) {
	if o.status == 0 {
		o.status = code
	}
	o.ResponseWriter.WriteHeader(code)
}

func (o *observation) Write(b []byte) (int, error) {
	if o.status == 0 {
		o.status = http.StatusOK
	}
	n, err := o.ResponseWriter.Write(b)
	o.written += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (o *observation) Unwrap() http.ResponseWriter { return o.ResponseWriter }

// integrationStarted marks the start of a backend call.
func (o *observation) integrationStarted(k runtime.IntegrationKind) {
	if k != runtime.Mock {
		o.intStart = time.Now()
	}
}

// integrationAnswered marks the backend's answer (its status line and headers).
func (o *observation) integrationAnswered(status int) {
	o.intEnd, o.intStatus = time.Now(), status
}

// observing routes rc's writes through its observation when the gateway records requests.
func (g *Gateway) observing(rc *request) {
	if g.opts.Metrics != nil || g.opts.AccessLogs != nil || g.opts.ExecLogs != nil || g.opts.Tracer != nil {
		rc.obs.ResponseWriter = rc.w
		rc.w = &rc.obs
	}
}

// record logs and counts a finished request on its stage's telemetry; a request that reached
// no stage is recorded nowhere.
func (g *Gateway) record(rc *request) {
	if rc.api == nil {
		return
	}
	t, _ := rc.api.Observe.(*telemetry)
	if t == nil {
		return
	}
	if rc.exec != nil {
		g.recordTrace(rc)
	}
	end := time.Now()
	o := &rc.obs
	r := observe.Record{
		RequestID:         rc.requestID,
		ExtendedRequestID: rc.extendedID,
		AccountID:         rc.accountID,
		APIID:             rc.api.ID,
		Stage:             rc.api.Stage,
		DeploymentID:      rc.api.DeploymentID,
		HTTPMethod:        rc.r.Method,
		Protocol:          "HTTP/1.1",
		APIKey:            rc.apiKey,
		APIKeyID:          rc.apiKeyID,
		AccessKey:         rc.callerField("identity.accessKey"),
		CallerAccountID:   rc.callerField("identity.accountId"),
		Caller:            rc.callerField("identity.caller"),
		User:              rc.callerField("identity.user"),
		UserArn:           rc.callerField("identity.userArn"),
		ValidationError:   rc.validationError,
		Start:             rc.start,
		Status:            o.status,
		ResponseLength:    o.written,
		Latency:           end.Sub(rc.start),
		IntegrationStatus: o.intStatus,
		CacheHit:          rc.cache == cacheHit,
		CacheMiss:         rc.cache == cacheMiss,
		IsCanaryRequest:   rc.api.IsCanary,
	}
	if t.stage.Log != nil {
		// A client-chosen request id that was not a UUID was replaced; AWS's access log says so.
		if v := rc.r.Header["X-Amzn-Requestid"]; len(v) > 0 && v[0] != rc.requestID {
			r.RequestID += "_REPLACED_INVALID_REQUEST_ID"
		}
		r.DomainName = rc.host
		r.DomainPrefix, _, _ = strings.Cut(rc.host, ".")
		r.Path = "/" + rc.api.Stage + rc.path
		r.SourceIP = clientIP(rc.r)
		r.UserAgent = rc.r.UserAgent()
		r.BasePathMatched = rc.basePath
		if c := rc.clientCertContext(); c != nil {
			r.ClientCert = &observe.ClientCert{PEM: c.ClientCertPem, SubjectDN: c.SubjectDN, IssuerDN: c.IssuerDN,
				SerialNumber: c.SerialNumber, NotBefore: c.NotBefore, NotAfter: c.NotAfter}
		}
		r.XrayTraceID = rc.xrayTraceID()
		if rc.authRun.status != 0 {
			r.Authorizer = &rc.authRun
		} else if rc.auth != nil {
			r.Authorizer = rc.auth
		}
	}
	if rc.resource != nil {
		r.ResourceID, r.ResourcePath = rc.resource.ID, rc.resource.Path
	}
	if e := o.failure; e != nil {
		r.ErrorMessage, r.ErrorType = e.message, e.typ.String()
	}
	if !o.intStart.IsZero() {
		if o.intEnd.IsZero() {
			o.intEnd = end
		}
		r.Integrated, r.IntegrationLatency = true, o.intEnd.Sub(o.intStart)
	}
	var series *observe.Series
	if rc.method != nil && t.methods != nil {
		series = t.methods[rc.method]
	}
	t.stage.Record(&r, series)
}
