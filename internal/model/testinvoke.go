package model

// TestInvokeMethodRequest is the body of TestInvokeMethod: one simulated request to a method.
type TestInvokeMethodRequest struct {
	PathWithQueryString string              `json:"pathWithQueryString,omitempty"`
	Body                string              `json:"body,omitempty"`
	Headers             map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders   map[string][]string `json:"multiValueHeaders,omitempty"`
	ClientCertificateId string              `json:"clientCertificateId,omitempty"`
	StageVariables      map[string]string   `json:"stageVariables,omitempty"`
}

// TestInvokeMethodResponse is what a test invocation answered, with its execution log.
type TestInvokeMethodResponse struct {
	Status            int                 `json:"status"`
	Body              string              `json:"body"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Log               string              `json:"log"`
	// Latency is in milliseconds.
	Latency int64 `json:"latency"`
}
