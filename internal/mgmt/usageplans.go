package mgmt

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

// Usage plans, their keys and their usage. Choices where AWS is not documented: deleting a plan
// deletes its key memberships and usage with it; a plan's API stages must name a stage that
// exists; quota periods start at 00:00 UTC (weeks on Monday); GetUsage reports, for days of the
// current period, the period's remaining requests as counted now, and for days of past periods
// the quota less the requests counted from the period's start to that day. Counts reach the store
// within a second of being made (the data plane flushes them), so GetUsage can trail by that much.

const maxMethodThrottles = 20

func loadPlan(tx store.Tx, id string) (*model.UsagePlanRecord, error) {
	var r model.UsagePlanRecord
	if err := tx.Get(store.KindUsagePlan, id, &r); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound("Invalid Usage Plan ID specified")
		}
		return nil, err
	}
	if r.Plan.ApiStages == nil {
		r.Plan.ApiStages = []model.ApiStage{}
	}
	return &r, nil
}

func listPlans(tx store.Tx) ([]*model.UsagePlanRecord, error) {
	var out []*model.UsagePlanRecord
	err := tx.List(store.KindUsagePlan, "", func(_ string, raw []byte) error {
		var r model.UsagePlanRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return err
		}
		if r.Plan.ApiStages == nil {
			r.Plan.ApiStages = []model.ApiStage{}
		}
		out = append(out, &r)
		return nil
	})
	return out, err
}

// planKeyIDs lists the ids of the keys in a plan.
func planKeyIDs(tx store.Tx, planID string) ([]string, error) {
	var ids []string
	err := tx.List(store.KindUsagePlanKey, planID+"/", func(key string, _ []byte) error {
		ids = append(ids, strings.TrimPrefix(key, planID+"/"))
		return nil
	})
	return ids, err
}

func planHasKey(tx store.Tx, planID, keyID string) (bool, error) {
	var k model.UsagePlanKey
	err := tx.Get(store.KindUsagePlanKey, store.Key(planID, keyID), &k)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// checkKeyStages enforces that a key belongs to at most one plan per API stage: the key, in plan
// planID with stages, must share no stage with another plan that holds it.
func checkKeyStages(tx store.Tx, keyID, planID string, stages []model.ApiStage) error {
	plans, err := listPlans(tx)
	if err != nil {
		return err
	}
	for _, other := range plans {
		if other.Plan.Id == planID {
			continue
		}
		has, err := planHasKey(tx, other.Plan.Id, keyID)
		if err != nil {
			return err
		}
		if !has {
			continue
		}
		for _, a := range stages {
			for _, b := range other.Plan.ApiStages {
				if a.ApiId == b.ApiId && a.Stage == b.Stage {
					return conflict("API Key %s is already in usage plan %s for the API stage %s:%s; a key may be in only one usage plan per API stage",
						keyID, other.Plan.Id, a.ApiId, a.Stage)
				}
			}
		}
	}
	return nil
}

// addPlanKey puts a key in a plan.
func addPlanKey(tx store.Tx, planID string, k *model.ApiKey) error {
	plan, err := loadPlan(tx, planID)
	if err != nil {
		return err
	}
	if has, err := planHasKey(tx, planID, k.Id); err != nil || has {
		if err != nil {
			return err
		}
		return conflict("Usage Plan %s already contains API Key %s", planID, k.Id)
	}
	if err := checkKeyStages(tx, k.Id, planID, plan.Plan.ApiStages); err != nil {
		return err
	}
	return tx.Put(store.KindUsagePlanKey, store.Key(planID, k.Id), &model.UsagePlanKey{Id: k.Id, Type: "API_KEY"})
}

// checkApiStage requires the stage to exist.
func (s *server) checkApiStage(tx store.Tx, a model.ApiStage, planID string) error {
	if a.ApiId == "" || a.Stage == "" {
		return badRequest("Invalid API Stage: apiId and stage are required")
	}
	var rec model.StageRecord
	if err := tx.Get(store.KindStage, store.Key(a.ApiId, a.Stage), &rec); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Invalid API Stage {api: %s, stage: %s} specified for usageplan %s", a.ApiId, a.Stage, planID)
		}
		return err
	}
	return nil
}

// methodThrottleKey checks a per-method throttle key, "{resourcePath}/{VERB}".
func methodThrottleKey(k string) error {
	i := strings.LastIndexByte(k, '/')
	if i < 1 || !strings.HasPrefix(k, "/") || !contains(httpMethods, k[i+1:]) {
		return badRequest("Invalid method throttle key %s: must be {resourcePath}/{httpMethod}, e.g. /pets/GET or //GET", k)
	}
	return nil
}

func checkThrottle(t *model.ThrottleSettings) error {
	if t == nil {
		return nil
	}
	if t.BurstLimit < 0 {
		return badRequest("Burst limit must be non-negative")
	}
	if t.RateLimit < 0 {
		return badRequest("Rate limit must be non-negative")
	}
	return nil
}

// checkPlan validates what a create or an update leaves on a plan.
func checkPlan(p *model.UsagePlan, input string) error {
	if p.Name == "" {
		return badRequest("Invalid usage plan name specified")
	}
	if err := checkThrottle(p.Throttle); err != nil {
		return err
	}
	if q := p.Quota; q != nil {
		if !contains(model.QuotaPeriods, q.Period) {
			return enumError(q.Period, input+".quota.period", model.QuotaPeriods)
		}
		if q.Limit < 0 {
			return badRequest("Quota limit must be non-negative")
		}
		if q.Offset < 0 || (q.Offset > 0 && q.Offset >= q.Limit) {
			return badRequest("Quota offset must be non-negative and less than the quota limit")
		}
	}
	seen := map[string]bool{}
	for _, a := range p.ApiStages {
		id := a.ApiId + ":" + a.Stage
		if seen[id] {
			return conflict("API Stage %s is already in usage plan %s", id, p.Id)
		}
		seen[id] = true
		if len(a.Throttle) > maxMethodThrottles {
			return badRequest("A usage plan can have at most %d method throttles per API stage", maxMethodThrottles)
		}
		for k, t := range a.Throttle {
			if err := methodThrottleKey(k); err != nil {
				return err
			}
			if t == nil {
				return badRequest("Invalid method throttle for %s", k)
			}
			if err := checkThrottle(t); err != nil {
				return err
			}
		}
	}
	return nil
}

type createUsagePlanInput struct {
	Name        *string                 `json:"name"`
	Description string                  `json:"description"`
	ApiStages   []model.ApiStage        `json:"apiStages"`
	Throttle    *model.ThrottleSettings `json:"throttle"`
	Quota       *model.QuotaSettings    `json:"quota"`
	Tags        map[string]string       `json:"tags"`
}

func (s *server) createUsagePlan(c *call) (int, any, error) {
	var in createUsagePlanInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	if in.Name == nil {
		return 0, nil, &apiError{http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'createUsagePlanInput.name' failed to satisfy constraint: Member must not be null"}
	}
	p := model.UsagePlan{Name: *in.Name, Description: in.Description, ApiStages: in.ApiStages,
		Throttle: in.Throttle, Quota: in.Quota, Tags: in.Tags}
	if p.ApiStages == nil {
		p.ApiStages = []model.ApiStage{}
	}
	err := s.st.Update(func(tx store.Tx) error {
		for {
			p.Id = model.NewID(6)
			if _, err := loadPlan(tx, p.Id); err != nil {
				break
			}
		}
		if err := checkPlan(&p, "createUsagePlanInput"); err != nil {
			return err
		}
		for _, a := range p.ApiStages {
			if err := s.checkApiStage(tx, a, p.Id); err != nil {
				return err
			}
		}
		rec := &model.UsagePlanRecord{Plan: p}
		if p.Quota != nil {
			rec.QuotaStart = model.Now()
		}
		return tx.Put(store.KindUsagePlan, p.Id, rec)
	})
	return http.StatusCreated, &p, err
}

func (s *server) getUsagePlan(c *call) (int, any, error) {
	var out *model.UsagePlan
	err := s.st.View(func(tx store.Tx) error {
		r, err := loadPlan(tx, c.p["plan"])
		if err == nil {
			out = &r.Plan
		}
		return err
	})
	return http.StatusOK, out, err
}

func (s *server) getUsagePlans(c *call) (int, any, error) {
	var plans []*model.UsagePlan
	err := s.st.View(func(tx store.Tx) error {
		all, err := listPlans(tx)
		if err != nil {
			return err
		}
		keyID := c.q.Get("keyId")
		for _, r := range all {
			if keyID != "" {
				if has, err := planHasKey(tx, r.Plan.Id, keyID); err != nil || !has {
					if err != nil {
						return err
					}
					continue
				}
			}
			plans = append(plans, &r.Plan)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	out, err := paginate(c, plans, func(p *model.UsagePlan) string { return p.Id })
	return http.StatusOK, out, err
}

// parseApiStageRef reads the "apiId:stage" a plan's apiStages patch names.
func parseApiStageRef(v string) (model.ApiStage, bool) {
	api, stage, ok := strings.Cut(v, ":")
	return model.ApiStage{ApiId: api, Stage: stage}, ok && api != "" && stage != ""
}

func findApiStage(p *model.UsagePlan, a model.ApiStage) int {
	for i, x := range p.ApiStages {
		if x.ApiId == a.ApiId && x.Stage == a.Stage {
			return i
		}
	}
	return -1
}

// planStageThrottlePath splits "/apiStages/{apiId}:{stage}/throttle[/{resourcePath}/{VERB}[/{field}]]".
// method is "" for the whole throttle map; field is "" for a whole method entry.
func planStageThrottlePath(path string) (stage model.ApiStage, method, field string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/apiStages/")
	if !ok {
		return stage, "", "", false
	}
	ref, rest, _ := strings.Cut(rest, "/")
	if stage, ok = parseApiStageRef(unescapePointer(ref)); !ok {
		return stage, "", "", false
	}
	rest, ok = strings.CutPrefix(rest, "throttle")
	if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
		return stage, "", "", false
	}
	if rest == "" {
		return stage, "", "", true
	}
	if i := strings.LastIndexByte(rest, '/'); i > 0 && (rest[i+1:] == "rateLimit" || rest[i+1:] == "burstLimit") {
		field, rest = rest[i+1:], rest[:i]
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 1 {
		return stage, "", "", false
	}
	res := unescapePointer(rest[1:i])
	if !strings.HasPrefix(res, "/") {
		res = "/" + res
	}
	method = res + "/" + rest[i+1:]
	return stage, method, field, methodThrottleKey(method) == nil
}

func (s *server) usagePlanRules(tx store.Tx, rec *model.UsagePlanRecord) []patchRule {
	p := &rec.Plan
	throttle := func() *model.ThrottleSettings {
		if p.Throttle == nil {
			p.Throttle = &model.ThrottleSettings{}
		}
		return p.Throttle
	}
	quota := func() *model.QuotaSettings {
		if p.Quota == nil {
			p.Quota = &model.QuotaSettings{Period: "DAY"}
			rec.QuotaStart = model.Now()
		}
		return p.Quota
	}
	num := func(path string, set func(p patch) error) patchRule {
		return patchRule{path: path, ops: replaceOnly, apply: set}
	}
	return []patchRule{
		replaceString("/name", &p.Name),
		replaceString("/description", &p.Description),
		replaceString("/productCode", &p.ProductCode),
		num("/throttle/burstLimit", func(pa patch) error {
			n, err := patchInt(pa)
			throttle().BurstLimit = n
			return err
		}),
		num("/throttle/rateLimit", func(pa patch) error {
			f, err := patchFloat(pa)
			throttle().RateLimit = f
			return err
		}),
		{path: "/throttle", ops: []string{"remove"}, apply: func(patch) error { p.Throttle = nil; return nil }},
		num("/quota/limit", func(pa patch) error {
			n, err := patchInt(pa)
			quota().Limit = n
			return err
		}),
		num("/quota/offset", func(pa patch) error {
			n, err := patchInt(pa)
			quota().Offset = n
			return err
		}),
		num("/quota/period", func(pa patch) error {
			q := quota()
			if q.Period != pa.value {
				rec.QuotaStart = model.Now()
			}
			q.Period = pa.value
			return nil
		}),
		{path: "/quota", ops: []string{"remove"}, apply: func(patch) error { p.Quota = nil; rec.QuotaStart = model.Epoch{}; return nil }},
		{path: "/apiStages", ops: []string{"add", "remove"}, apply: func(pa patch) error {
			a, ok := parseApiStageRef(pa.value)
			if !ok {
				return badRequest("Invalid API Stage specified: %s; expected apiId:stage", pa.value)
			}
			i := findApiStage(p, a)
			if pa.op == "remove" {
				if i < 0 {
					return notFound("Invalid API Stage {api: %s, stage: %s} specified for usageplan %s", a.ApiId, a.Stage, p.Id)
				}
				p.ApiStages = append(p.ApiStages[:i], p.ApiStages[i+1:]...)
				return nil
			}
			if i >= 0 {
				return conflict("API Stage %s:%s is already in usage plan %s", a.ApiId, a.Stage, p.Id)
			}
			if err := s.checkApiStage(tx, a, p.Id); err != nil {
				return err
			}
			keys, err := planKeyIDs(tx, p.Id)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := checkKeyStages(tx, k, p.Id, []model.ApiStage{a}); err != nil {
					return err
				}
			}
			p.ApiStages = append(p.ApiStages, a)
			return nil
		}},
		{
			path: "/apiStages/{apiId}:{stage}/throttle[/{resourcePath}/{httpMethod}[/rateLimit|/burstLimit]]",
			ops:  mapOps,
			match: func(path string) (string, bool) {
				_, _, _, ok := planStageThrottlePath(path)
				return "", ok
			},
			apply: func(pa patch) error {
				a, method, field, _ := planStageThrottlePath(pa.path)
				i := findApiStage(p, a)
				if i < 0 {
					return notFound("Invalid API Stage {api: %s, stage: %s} specified for usageplan %s", a.ApiId, a.Stage, p.Id)
				}
				st := &p.ApiStages[i]
				switch {
				case pa.op == "remove" && method == "":
					st.Throttle = nil
				case pa.op == "remove" && field == "":
					if _, ok := st.Throttle[method]; !ok {
						return badRequest("Invalid patch path %s: no such method throttle", pa.path)
					}
					delete(st.Throttle, method)
				case pa.op == "remove", method == "":
					return badRequest("Invalid patch path %s for op %s", pa.path, pa.op)
				default:
					if st.Throttle == nil {
						st.Throttle = map[string]*model.ThrottleSettings{}
					}
					t := st.Throttle[method]
					if t == nil {
						t = &model.ThrottleSettings{}
						st.Throttle[method] = t
					}
					switch field {
					case "rateLimit":
						f, err := patchFloat(pa)
						if err != nil {
							return err
						}
						t.RateLimit = f
					case "burstLimit":
						n, err := patchInt(pa)
						if err != nil {
							return err
						}
						t.BurstLimit = n
					default:
						// A whole entry takes a JSON value {"rateLimit":..,"burstLimit":..}.
						var v model.ThrottleSettings
						if err := json.Unmarshal([]byte(pa.value), &v); err != nil {
							return badRequest("Invalid method throttle value %s: expected {\"rateLimit\": number, \"burstLimit\": integer}", pa.value)
						}
						*t = v
					}
				}
				return nil
			},
		},
	}
}

func (s *server) updateUsagePlan(c *call) (int, any, error) {
	var out *model.UsagePlan
	err := s.st.Update(func(tx store.Tx) error {
		rec, err := loadPlan(tx, c.p["plan"])
		if err != nil {
			return err
		}
		if err := applyPatch(c, "updateUsagePlanInput", s.usagePlanRules(tx, rec)); err != nil {
			return err
		}
		if err := checkPlan(&rec.Plan, "updateUsagePlanInput"); err != nil {
			return err
		}
		out = &rec.Plan
		return tx.Put(store.KindUsagePlan, rec.Plan.Id, rec)
	})
	return http.StatusOK, out, err
}

func (s *server) deleteUsagePlan(c *call) (int, any, error) {
	id := c.p["plan"]
	err := s.st.Update(func(tx store.Tx) error {
		if _, err := loadPlan(tx, id); err != nil {
			return err
		}
		keys, err := planKeyIDs(tx, id)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Delete(store.KindUsagePlanKey, store.Key(id, k)); err != nil {
				return err
			}
		}
		var usage []string
		if err := tx.List(store.KindUsage, id+"/", func(key string, _ []byte) error {
			usage = append(usage, key)
			return nil
		}); err != nil {
			return err
		}
		for _, k := range usage {
			if err := tx.Delete(store.KindUsage, k); err != nil {
				return err
			}
		}
		return tx.Delete(store.KindUsagePlan, id)
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

type createUsagePlanKeyInput struct {
	KeyId   *string `json:"keyId"`
	KeyType *string `json:"keyType"`
}

func planKeyOut(k *model.ApiKey) *model.UsagePlanKey {
	return &model.UsagePlanKey{Id: k.Id, Type: "API_KEY", Value: k.Value, Name: k.Name}
}

func (s *server) createUsagePlanKey(c *call) (int, any, error) {
	var in createUsagePlanKeyInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	for field, v := range map[string]*string{"keyId": in.KeyId, "keyType": in.KeyType} {
		if v == nil {
			return 0, nil, &apiError{http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'createUsagePlanKeyInput." + field + "' failed to satisfy constraint: Member must not be null"}
		}
	}
	if *in.KeyType != "API_KEY" {
		return 0, nil, badRequest("Invalid key type specified: %s. Valid options are API_KEY", *in.KeyType)
	}
	var out *model.UsagePlanKey
	err := s.st.Update(func(tx store.Tx) error {
		if _, err := loadPlan(tx, c.p["plan"]); err != nil {
			return err
		}
		k, err := loadApiKey(tx, *in.KeyId)
		if err != nil {
			return err
		}
		out = planKeyOut(k)
		return addPlanKey(tx, c.p["plan"], k)
	})
	return http.StatusCreated, out, err
}

func (s *server) loadPlanKey(tx store.Tx, planID, keyID string) (*model.ApiKey, error) {
	if _, err := loadPlan(tx, planID); err != nil {
		return nil, err
	}
	has, err := planHasKey(tx, planID, keyID)
	if err != nil {
		return nil, err
	}
	if !has {
		return nil, notFound("Invalid API Key identifier specified")
	}
	return loadApiKey(tx, keyID)
}

func (s *server) getUsagePlanKey(c *call) (int, any, error) {
	var out *model.UsagePlanKey
	err := s.st.View(func(tx store.Tx) error {
		k, err := s.loadPlanKey(tx, c.p["plan"], c.p["key"])
		if err == nil {
			out = planKeyOut(k)
		}
		return err
	})
	return http.StatusOK, out, err
}

func (s *server) getUsagePlanKeys(c *call) (int, any, error) {
	var keys []*model.UsagePlanKey
	err := s.st.View(func(tx store.Tx) error {
		if _, err := loadPlan(tx, c.p["plan"]); err != nil {
			return err
		}
		ids, err := planKeyIDs(tx, c.p["plan"])
		if err != nil {
			return err
		}
		for _, id := range ids {
			k, err := loadApiKey(tx, id)
			if err != nil {
				continue // a membership whose key is gone is not listed
			}
			if name := c.q.Get("name"); name != "" && !strings.HasPrefix(k.Name, name) {
				continue
			}
			keys = append(keys, planKeyOut(k))
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	out, err := paginate(c, keys, func(k *model.UsagePlanKey) string { return k.Id })
	return http.StatusOK, out, err
}

func (s *server) deleteUsagePlanKey(c *call) (int, any, error) {
	err := s.st.Update(func(tx store.Tx) error {
		if _, err := s.loadPlanKey(tx, c.p["plan"], c.p["key"]); err != nil {
			return err
		}
		if err := tx.Delete(store.KindUsage, store.Key(c.p["plan"], c.p["key"])); err != nil {
			return err
		}
		return tx.Delete(store.KindUsagePlanKey, store.Key(c.p["plan"], c.p["key"]))
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

// usage is AWS's Usage shape.
type usage struct {
	UsagePlanId string                `json:"usagePlanId"`
	StartDate   string                `json:"startDate"`
	EndDate     string                `json:"endDate"`
	Position    string                `json:"position,omitempty"`
	Items       map[string][][2]int64 `json:"values"`
}

const maxUsageDays = 90

func parseUsageDate(v, field string) (time.Time, error) {
	if v == "" {
		return time.Time{}, &apiError{http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'getUsageInput." + field + "' failed to satisfy constraint: Member must not be null"}
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return time.Time{}, badRequest("Invalid %s specified: %s. Dates are yyyy-MM-dd", field, v)
	}
	return t, nil
}

// usageRows reports one key's [used, remaining] for each day from start to end.
func usageRows(plan *model.UsagePlanRecord, rec *model.UsageRecord, start, end, now time.Time) [][2]int64 {
	var rows [][2]int64
	q := plan.Plan.Quota
	var cur time.Time
	if q != nil {
		cur = q.PeriodStart(now)
	}
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		used := rec.Days[model.DayKey(d)]
		var remaining int64
		if q != nil {
			ps := q.PeriodStart(d)
			switch {
			case ps.Equal(cur) && rec.PeriodStart.Equal(cur):
				remaining = plan.QuotaLimit(ps) - rec.Used
			case ps.After(cur):
				remaining = plan.QuotaLimit(ps)
			default:
				var sum int64
				for x := ps; !x.After(d); x = x.AddDate(0, 0, 1) {
					sum += rec.Days[model.DayKey(x)]
				}
				remaining = plan.QuotaLimit(ps) - sum
			}
			remaining = max(remaining, 0)
		}
		rows = append(rows, [2]int64{used, remaining})
	}
	return rows
}

func loadUsage(tx store.Tx, planID, keyID string) (*model.UsageRecord, error) {
	var rec model.UsageRecord
	if err := tx.Get(store.KindUsage, store.Key(planID, keyID), &rec); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return &rec, nil
}

func (s *server) getUsage(c *call) (int, any, error) {
	start, err := parseUsageDate(c.q.Get("startDate"), "startDate")
	if err != nil {
		return 0, nil, err
	}
	end, err := parseUsageDate(c.q.Get("endDate"), "endDate")
	if err != nil {
		return 0, nil, err
	}
	if end.Before(start) {
		return 0, nil, badRequest("The end date must not be before the start date")
	}
	if end.Sub(start) >= maxUsageDays*24*time.Hour {
		return 0, nil, badRequest("The date range can span at most %d days", maxUsageDays)
	}
	out := &usage{UsagePlanId: c.p["plan"], StartDate: c.q.Get("startDate"), EndDate: c.q.Get("endDate"), Items: map[string][][2]int64{}}
	err = s.st.View(func(tx store.Tx) error {
		plan, err := loadPlan(tx, c.p["plan"])
		if err != nil {
			return err
		}
		ids, err := planKeyIDs(tx, plan.Plan.Id)
		if err != nil {
			return err
		}
		if k := c.q.Get("keyId"); k != "" {
			if !contains(ids, k) {
				return notFound("Invalid API Key identifier specified")
			}
			ids = []string{k}
		}
		now := time.Now()
		for _, id := range ids {
			rec, err := loadUsage(tx, plan.Plan.Id, id)
			if err != nil {
				return err
			}
			out.Items[id] = usageRows(plan, rec, start, end, now)
		}
		return nil
	})
	return http.StatusOK, out, err
}

// updateUsage sets how many requests a key has left in the current quota period
// (replace /remaining). The data plane adopts the count from its next request on.
func (s *server) updateUsage(c *call) (int, any, error) {
	planID, keyID := c.p["plan"], c.p["key"]
	var out *usage
	err := s.st.Update(func(tx store.Tx) error {
		plan, err := loadPlan(tx, planID)
		if err != nil {
			return err
		}
		if _, err := s.loadPlanKey(tx, planID, keyID); err != nil {
			return err
		}
		q := plan.Plan.Quota
		if q == nil {
			return badRequest("Usage plan %s has no quota", planID)
		}
		rec, err := loadUsage(tx, planID, keyID)
		if err != nil {
			return err
		}
		now := time.Now()
		cur := q.PeriodStart(now)
		if !rec.PeriodStart.Equal(cur) {
			rec.PeriodStart, rec.Used, rec.Reserved = model.Epoch{Time: cur}, 0, 0
		}
		limit := plan.QuotaLimit(cur)
		rules := []patchRule{{path: "/remaining", ops: replaceOnly, apply: func(p patch) error {
			n, err := strconv.ParseInt(p.value, 10, 64)
			if err != nil || n < 0 {
				return badRequest("Invalid remaining value %s: must be a non-negative integer", p.value)
			}
			rec.Used = max(limit-n, 0)
			rec.Reserved = rec.Used
			return nil
		}}}
		if err := applyPatch(c, "updateUsageInput", rules); err != nil {
			return err
		}
		rec.Rev++
		out = &usage{UsagePlanId: planID, StartDate: model.DayKey(cur), EndDate: model.DayKey(now),
			Items: map[string][][2]int64{keyID: usageRows(plan, rec, cur, now.UTC().Truncate(24*time.Hour), now)}}
		return tx.Put(store.KindUsage, store.Key(planID, keyID), rec)
	})
	return http.StatusOK, out, err
}
