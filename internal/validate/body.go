package validate

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/portico/portico/internal/model"
)

// EmptySchema is the schema of the built-in Empty model.
const EmptySchema = `{"$schema":"http://json-schema.org/draft-04/schema#","title":"Empty Schema","type":"object"}`

// unparsable is the detail of a body that is not JSON.
const unparsable = "[Unknown error parsing request body]"

// ModelURL is the address by which one model of an API refers to another.
func ModelURL(apiID, name string) string {
	return "https://apigateway.amazonaws.com/restapis/" + apiID + "/models/" + name
}

// Models compiles the models of one API, each once, as methods ask for them. It is used while a
// deployment compiles and is not safe for concurrent use; the Body values it returns are.
type Models struct {
	apiID    string
	models   map[string]*model.Model
	compiler *jsonschema.Compiler
	loadErr  map[string]error
	done     map[string]*Body
	errs     map[string]error
}

// NewModels prepares the models of API apiID for compilation.
func NewModels(apiID string, models map[string]*model.Model) *Models {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.UseLoader(noLoader{})
	m := &Models{apiID: apiID, models: models, compiler: c, loadErr: map[string]error{},
		done: map[string]*Body{}, errs: map[string]error{}}
	for name, md := range models {
		if md == nil {
			continue
		}
		text := md.Schema
		if strings.TrimSpace(text) == "" {
			text = "{}"
		}
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
		if err == nil {
			err = c.AddResource(ModelURL(apiID, name), doc)
		}
		if err != nil {
			m.loadErr[name] = fmt.Errorf("model %s: schema is not valid JSON: %v", name, err)
		}
	}
	return m
}

// noLoader refuses every URL: a model may refer only to the API's own models.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("%s is not a model of this API", url)
}

// Body returns the compiled validator of the named model.
func (m *Models) Body(name string) (*Body, error) {
	if b, ok := m.done[name]; ok {
		return b, nil
	}
	if err, ok := m.errs[name]; ok {
		return nil, err
	}
	b, err := m.compile(name)
	if err != nil {
		m.errs[name] = err
		return nil, err
	}
	m.done[name] = b
	return b, nil
}

func (m *Models) compile(name string) (*Body, error) {
	if md := m.models[name]; md == nil {
		return nil, fmt.Errorf("model %s does not exist", name)
	}
	if err := m.loadErr[name]; err != nil {
		return nil, err
	}
	sch, err := m.compiler.Compile(ModelURL(m.apiID, name))
	if err != nil {
		// A model referring to a broken one fails to compile with it.
		for other, lerr := range m.loadErr {
			if strings.Contains(err.Error(), ModelURL(m.apiID, other)) {
				return nil, lerr
			}
		}
		return nil, fmt.Errorf("model %s: %v", name, err)
	}
	return newBody(sch)
}

// Implicit returns the validator of a method that declares no model: the API's Empty model
// (the built-in one if the API has none), accepting an empty body.
func (m *Models) Implicit() (*Body, error) {
	var b *Body
	var err error
	if _, ok := m.models["Empty"]; ok {
		b, err = m.Body("Empty")
	} else {
		b, err = compileStandalone(EmptySchema)
	}
	if err != nil {
		return nil, err
	}
	c := *b
	c.emptyOK = true
	return &c, nil
}

func compileStandalone(schema string) (*Body, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.UseLoader(noLoader{})
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		return nil, err
	}
	const url = "urn:portico:model"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, err
	}
	return newBody(sch)
}

// Body validates request bodies against one compiled model. It is immutable and safe for
// concurrent use.
type Body struct {
	root    *node
	emptyOK bool
}

func newBody(sch *jsonschema.Schema) (*Body, error) {
	root, err := build(sch, map[*jsonschema.Schema]*node{})
	if err != nil {
		return nil, err
	}
	if err := checkCycles(root); err != nil {
		return nil, fmt.Errorf("%s: %w", sch.Location, err)
	}
	return &Body{root: root}, nil
}

// Validate checks a body. It returns ok, or the detail AWS gives as
// $context.error.validationErrorString.
func (b *Body) Validate(body []byte) (detail string, ok bool) {
	if len(bytes.TrimSpace(body)) == 0 {
		if b.emptyOK {
			return "", true
		}
		return unparsable, false
	}
	tp, ok := getTape(body)
	defer putTape(tp)
	if !ok {
		return unparsable, false
	}
	// Most bodies are valid: answer those without building a single message.
	w := walker{tp: tp, quiet: true, budget: budgetFor(len(body))}
	if w.check(b.root, 0) {
		return "", true
	}
	if w.budget < 0 {
		return "[" + errBudget + "]", false
	}
	w = walker{tp: tp, budget: budgetFor(len(body))}
	w.check(b.root, 0)
	if w.budget < 0 {
		return "[" + errBudget + "]", false
	}
	sort.SliceStable(w.msgs, func(i, j int) bool {
		if w.msgs[i].pointer != w.msgs[j].pointer {
			return w.msgs[i].pointer < w.msgs[j].pointer
		}
		return w.msgs[i].text < w.msgs[j].text
	})
	var sb strings.Builder
	sb.WriteByte('[')
	for i, m := range w.msgs {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(m.text)
	}
	sb.WriteByte(']')
	return sb.String(), false
}
