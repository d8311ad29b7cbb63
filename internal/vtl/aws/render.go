package aws

import (
	"github.com/portico/portico/internal/vtl"
)

// Bindings are the variables of one render. Build them with NewBindings, render a template with
// Scope(), then read Overrides. A Bindings serves one render on one goroutine.
type Bindings struct {
	req   *Request
	scope *vtl.Scope
	input input
	ctx   contextObj
}

// NewBindings binds $input (over body), $util, $context and $stageVariables for req.
func NewBindings(req *Request, body []byte) *Bindings {
	r := &Bindings{req: req, scope: vtl.NewScope()}
	r.input = input{r: r, body: body}
	r.ctx = contextObj{r: r}
	r.scope.Set("input", &r.input)
	r.scope.Set("util", theUtil)
	r.scope.Set("context", &r.ctx)
	sv := vtl.NewMap(len(req.StageVariables))
	for _, k := range sortedKeys(req.StageVariables) {
		sv.Put(k, req.StageVariables[k])
	}
	r.scope.Set("stageVariables", sv)
	return r
}

// Scope is the scope to render with. Set its Limits or Tracer before rendering if needed.
func (r *Bindings) Scope() *vtl.Scope { return r.scope }

// Overrides returns what the template wrote into $context.requestOverride and
// $context.responseOverride.
func (r *Bindings) Overrides() *Overrides {
	o := &Overrides{}
	if ro := r.ctx.reqOv; ro != nil {
		o.Header = ro.maps[0].params()
		o.Querystring = ro.maps[1].params()
		o.Path = ro.maps[2].params()
	}
	if ro := r.ctx.respOv; ro != nil {
		o.ResponseHeader = ro.maps[0].params()
		if n, ok := ro.status.(int64); ok && n >= 100 && n <= 599 {
			o.Status = int(n)
		}
	}
	return o
}
