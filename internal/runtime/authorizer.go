package runtime

import (
	"regexp"
	"time"
)

// Authorizer is one authorizer of a stage, compiled once and shared by every method that uses
// it (lambda-and-authorizers.md §3).
type Authorizer struct {
	ID   string
	Name string
	// Type is TOKEN, REQUEST or COGNITO_USER_POOLS.
	Type string
	// Function is the Lambda function a TOKEN or REQUEST authorizer invokes, from its
	// authorizerUri with the stage's variables substituted.
	Function string
	// Err says why the authorizer cannot run (an authorizerUri that names no function): its
	// methods answer 500 AUTHORIZER_CONFIGURATION_ERROR, and the reason is logged.
	Err string
	// TTL is how long a result is reused for the same identity source values (0: never).
	TTL time.Duration
	// Sources are the identity sources, in the order written: one header for TOKEN; headers,
	// query strings, stage variables (SrcLiteral, resolved) and context variables for REQUEST
	// and COGNITO_USER_POOLS.
	Sources []Source
	// Validation is the identityValidationExpression, anchored (nil when none).
	Validation *regexp.Regexp
	// ProviderARNs are a COGNITO_USER_POOLS authorizer's user pools (or issuers).
	ProviderARNs []string
}
