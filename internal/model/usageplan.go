package model

import "time"

// ApiKey is AWS's ApiKey: an account-level credential a client sends in x-api-key.
type ApiKey struct {
	Id              string            `json:"id"`
	Value           string            `json:"value,omitempty"`
	Name            string            `json:"name,omitempty"`
	CustomerId      string            `json:"customerId,omitempty"`
	Description     string            `json:"description,omitempty"`
	Enabled         bool              `json:"enabled"`
	CreatedDate     Epoch             `json:"createdDate,omitzero"`
	LastUpdatedDate Epoch             `json:"lastUpdatedDate,omitzero"`
	StageKeys       []string          `json:"stageKeys,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
}

// ThrottleSettings is a token bucket: rateLimit requests per second refill a bucket of
// burstLimit.
type ThrottleSettings struct {
	BurstLimit int64   `json:"burstLimit"`
	RateLimit  float64 `json:"rateLimit"`
}

// QuotaSettings caps the requests of one key in one plan per period.
type QuotaSettings struct {
	Limit  int64  `json:"limit"`
	Offset int64  `json:"offset"`
	Period string `json:"period"`
}

// QuotaPeriods are the periods a quota may count over.
var QuotaPeriods = []string{"DAY", "WEEK", "MONTH"}

// PeriodStart returns the start (UTC) of the quota period that holds t: midnight for DAY, Monday
// midnight for WEEK, the first of the month for MONTH.
func (q *QuotaSettings) PeriodStart(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch q.Period {
	case "WEEK":
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		return day.AddDate(0, 0, -back)
	case "MONTH":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}

// ApiStage is one API stage a usage plan applies to, with optional per-method throttles keyed
// "{resourcePath}/{VERB}" ("/pets/GET", "//GET" for the root resource).
type ApiStage struct {
	ApiId    string                       `json:"apiId"`
	Stage    string                       `json:"stage"`
	Throttle map[string]*ThrottleSettings `json:"throttle,omitempty"`
}

// UsagePlan is AWS's UsagePlan: throttle and quota for the API keys it holds, on its API stages.
type UsagePlan struct {
	Id          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	ApiStages   []ApiStage        `json:"apiStages"`
	Throttle    *ThrottleSettings `json:"throttle,omitempty"`
	Quota       *QuotaSettings    `json:"quota,omitempty"`
	ProductCode string            `json:"productCode,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// UsagePlanRecord is a usage plan as stored. QuotaStart is when its quota was last set: the
// period holding it is the plan's initial period, the one the quota's offset applies to.
type UsagePlanRecord struct {
	Plan       UsagePlan `json:"plan"`
	QuotaStart Epoch     `json:"quotaStart,omitzero"`
}

// QuotaLimit returns the number of requests a key may make in the period starting at start:
// the quota's limit, less its offset in the initial period.
func (r *UsagePlanRecord) QuotaLimit(start time.Time) int64 {
	q := r.Plan.Quota
	if q == nil {
		return 0
	}
	if !r.QuotaStart.IsZero() && q.PeriodStart(r.QuotaStart.Time).Equal(start) {
		return max(q.Limit-q.Offset, 0)
	}
	return q.Limit
}

// UsagePlanKey is a key's membership in a usage plan, as AWS answers it.
type UsagePlanKey struct {
	Id    string `json:"id"`
	Type  string `json:"type"`
	Value string `json:"value,omitempty"`
	Name  string `json:"name,omitempty"`
}

// UsageRecord is what one key used under one plan: the count of the current quota period and a
// count per day (yyyy-mm-dd) for GetUsage. Rev grows when the management API sets the count
// (UpdateUsage), so the data plane knows to adopt it rather than add to it. Reserved is how far
// the data plane may have counted in the period: it records room before using it, so after a
// crash the count is taken to be Reserved, never less than what was served.
type UsageRecord struct {
	PeriodStart Epoch            `json:"periodStart,omitzero"`
	Used        int64            `json:"used"`
	Reserved    int64            `json:"reserved,omitempty"`
	Days        map[string]int64 `json:"days,omitempty"`
	Rev         int64            `json:"rev,omitempty"`
}

// UsageDays bounds how many days of per-day counts a UsageRecord keeps.
const UsageDays = 93

// DayKey formats t's UTC date as a UsageRecord.Days key.
func DayKey(t time.Time) string { return t.UTC().Format("2006-01-02") }
