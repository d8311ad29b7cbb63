package functions

import (
	"encoding/json"
	"regexp"
	"strings"
)

// Runtimes accepted at CreateFunction: the OS-only runtimes, whose code is an executable.
var Runtimes = []string{"provided.al2023", "provided.al2", "go1.x"}

// Defaults and bounds of a function's settings (AWS Lambda's).
const (
	DefaultTimeout    = 3
	MaxTimeout        = 900
	DefaultMemorySize = 128
	MinMemorySize     = 128
	MaxMemorySize     = 10240
	// MaxEnvironmentBytes bounds the JSON of a function's variables (4 KB).
	MaxEnvironmentBytes = 4096
)

// Function is a function's stored definition, in AWS's field names.
type Function struct {
	FunctionName string            `json:"FunctionName"`
	Runtime      string            `json:"Runtime,omitempty"`
	Handler      string            `json:"Handler,omitempty"`
	Role         string            `json:"Role,omitempty"`
	Description  string            `json:"Description,omitempty"`
	Timeout      int               `json:"Timeout"`
	MemorySize   int               `json:"MemorySize"`
	Environment  map[string]string `json:"Environment,omitempty"`
	CodeSha256   string            `json:"CodeSha256,omitempty"`
	CodeSize     int64             `json:"CodeSize"`
	// CodeDir is the directory, relative to the data directory, the zip was unpacked into.
	CodeDir string `json:"CodeDir,omitempty"`
	// Command is a local executable run instead of a zip's bootstrap (Portico's extension for
	// development: PorticoCommand in the API).
	Command string `json:"Command,omitempty"`
	// ReservedConcurrency is PutFunctionConcurrency's value; nil when none is reserved.
	ReservedConcurrency *int `json:"ReservedConcurrency,omitempty"`
	// Policy holds the resource policy's statements (AddPermission), each a JSON object.
	Policy       []json.RawMessage `json:"Policy,omitempty"`
	LastModified string            `json:"LastModified"`
	RevisionID   string            `json:"RevisionId"`
	Tags         map[string]string `json:"Tags,omitempty"`
}

var (
	nameRE = regexp.MustCompile(`^[a-zA-Z0-9-_]{1,64}$`)
	envRE  = regexp.MustCompile(`^[a-zA-Z]([a-zA-Z0-9_])+$`)
	// arnRE matches full and partial function ARNs with an optional qualifier.
	arnRE = regexp.MustCompile(`^(?:arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9-_]{1,64})(?::(\$LATEST|[a-zA-Z0-9-_]+))?$`)
)

// reservedEnv are the variable names Lambda sets itself and refuses in a function's environment.
var reservedEnv = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true, "AWS_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_LAMBDA_LOG_GROUP_NAME": true,
	"AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_LAMBDA_RUNTIME_API": true,
	"LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// ParseName splits a function name, full ARN or partial ARN into its name and qualifier. ok is
// false when the text is none of these.
func ParseName(s string) (name, qualifier string, ok bool) {
	m := arnRE.FindStringSubmatch(s)
	if m == nil {
		return "", "", false
	}
	// "123456789012:f" without "function:" is not a partial ARN Lambda accepts.
	if m[2] != "" && !strings.Contains(s, "function:") {
		return "", "", false
	}
	return m[3], m[4], true
}

// ValidName reports whether s is a valid function name (not an ARN).
func ValidName(s string) bool { return nameRE.MatchString(s) }

// ARN is the function's ARN in the given region and account.
func ARN(region, account, name string) string {
	return "arn:aws:lambda:" + region + ":" + account + ":function:" + name
}

// validateConfig checks the settings shared by create and update.
func validateConfig(f *Function) error {
	if f.Timeout < 1 || f.Timeout > MaxTimeout {
		return errInvalid("1 validation error detected: Value '%d' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to %d", f.Timeout, MaxTimeout)
	}
	if f.MemorySize < MinMemorySize || f.MemorySize > MaxMemorySize {
		return errInvalid("'MemorySize' value failed to satisfy constraint: Member must have value between %d and %d", MinMemorySize, MaxMemorySize)
	}
	if f.Runtime != "" && !validRuntime(f.Runtime) {
		return errInvalid("Value %s at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: %v or be a valid ARN", f.Runtime, Runtimes)
	}
	size := 0
	for k, v := range f.Environment {
		if !envRE.MatchString(k) {
			return errInvalid("Lambda was unable to configure your environment variables because the environment variables you have provided contains invalid keys: [%s]", k)
		}
		if reservedEnv[k] {
			return errInvalid("Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", k)
		}
		size += len(k) + len(v) + 6
	}
	if size > MaxEnvironmentBytes {
		return errInvalid("Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %d", size)
	}
	return nil
}

func validRuntime(r string) bool {
	for _, x := range Runtimes {
		if x == r {
			return true
		}
	}
	return false
}
