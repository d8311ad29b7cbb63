package compile

import (
	"fmt"
	"strings"

	"github.com/portico/portico/internal/model"
)

// ResolveStageVariables replaces every ${stageVariables.name} in s (an integration uri, a
// Lambda function ARN, a credentials ARN, an authorizer's uri) with the stage's value. A
// reference to a variable the stage does not define is an error naming it: such an
// integration cannot be called, and answers AWS's 500 Internal server error (AWS leaves the
// variable empty, which leaves no host or function to call). A "${stageVariables." without
// its closing brace is kept as text.
func ResolveStageVariables(s string, vars map[string]string) (string, error) {
	const open = "${stageVariables."
	if !strings.Contains(s, open) {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, open)
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		name := s[i+len(open) : i+j]
		v, ok := vars[name]
		if !ok {
			return "", fmt.Errorf("stage variable %q is not defined", name)
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String(), nil
}

// CanaryStage returns the stage as its canary release serves it: the canary's deployment
// (the stage's own when the canary names none) and the stage's variables overlaid by the
// canary's stageVariableOverrides. It returns nil when the stage has no canary or sends it
// no traffic.
func CanaryStage(st *model.StageRecord) *model.StageRecord {
	c := st.Stage.CanarySettings
	if c == nil || c.PercentTraffic <= 0 {
		return nil
	}
	out := *st
	if c.DeploymentId != "" {
		out.Stage.DeploymentId = c.DeploymentId
	}
	if len(c.StageVariableOverrides) > 0 {
		vars := make(map[string]string, len(st.Stage.Variables)+len(c.StageVariableOverrides))
		for k, v := range st.Stage.Variables {
			vars[k] = v
		}
		for k, v := range c.StageVariableOverrides {
			vars[k] = v
		}
		out.Stage.Variables = vars
	}
	return &out
}
