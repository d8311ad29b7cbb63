package mgmt

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/portico/portico/internal/model"
	"github.com/portico/portico/internal/store"
)

var (
	stageNameRe     = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	stageVarNameRe  = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	stageVarValueRe = regexp.MustCompile(`^[A-Za-z0-9\-._~:/?#&=,]{1,512}$`)
	cacheSizes      = []string{"0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"}
	logLevels       = []string{"OFF", "ERROR", "INFO"}
	cacheStrategies = []string{"FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER", "SUCCEED_WITHOUT_RESPONSE_HEADER"}
)

func checkStageName(name string) error {
	if !stageNameRe.MatchString(name) {
		return badRequest("Stage name only allows a-zA-Z0-9_-")
	}
	return nil
}

// checkVariables checks stage variables (or a canary's overrides) as AWS does, with AWS's
// messages; the names are checked in order so that the message is the same on every call.
func checkVariables(vars map[string]string) error {
	if len(vars) > 100 {
		return badRequest("A stage can have at most 100 stage variables")
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if !stageVarNameRe.MatchString(k) {
			return badRequest("Invalid stage variable name: %s.  Please use names with only word characters.", k)
		}
		if !stageVarValueRe.MatchString(vars[k]) {
			return badRequest("Invalid stage variable value: %s.  Please use values with alphanumeric characters "+
				"and the symbols ' ', -', '.', '_', ':', '/', '?', '&', '=', and ','.", vars[k])
		}
	}
	return nil
}

// checkCanary checks canary settings as CreateStage, CreateDeployment and UpdateStage leave
// them.
func checkCanary(cs *model.CanarySettings) error {
	if cs == nil {
		return nil
	}
	if cs.PercentTraffic < 0 || cs.PercentTraffic > 100 {
		return badRequest("Canary traffic percentage must be between 0.0 and 100.0")
	}
	return checkVariables(cs.StageVariableOverrides)
}

// checkStageInput checks the stage settings CreateStage and CreateDeployment share; an empty
// name is allowed (CreateDeployment without a stage).
func checkStageInput(name string, vars map[string]string, cacheSize string) error {
	if name != "" {
		if err := checkStageName(name); err != nil {
			return err
		}
	}
	if err := checkVariables(vars); err != nil {
		return err
	}
	return checkCacheSize(cacheSize)
}

func checkCacheSize(size string) error {
	if size != "" && !contains(cacheSizes, size) {
		return enumError(size, "cacheClusterSize", cacheSizes)
	}
	return nil
}

func newStage(name, depID string) model.Stage {
	now := model.Now()
	return model.Stage{
		StageName:          name,
		DeploymentId:       depID,
		CacheClusterStatus: "NOT_AVAILABLE",
		MethodSettings:     map[string]*model.MethodSetting{},
		CreatedDate:        now,
		LastUpdatedDate:    now,
	}
}

func setCacheCluster(st *model.Stage, enabled bool, size string) {
	st.CacheClusterEnabled = enabled
	if size != "" {
		st.CacheClusterSize = size
	}
	if enabled {
		if st.CacheClusterSize == "" {
			st.CacheClusterSize = "0.5"
		}
		st.CacheClusterStatus = "AVAILABLE"
	} else {
		st.CacheClusterStatus = "NOT_AVAILABLE"
	}
}

func listStages(tx store.Tx, apiID string) ([]*model.Stage, error) {
	var out []*model.Stage
	err := tx.List(store.KindStage, store.Key(apiID, ""), func(_ string, raw []byte) error {
		var rec model.StageRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			return err
		}
		out = append(out, &rec.Stage)
		return nil
	})
	return out, err
}

func loadStage(tx store.Tx, apiID, name string) (*model.StageRecord, error) {
	var rec model.StageRecord
	if err := tx.Get(store.KindStage, store.Key(apiID, name), &rec); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound("Invalid Stage identifier specified")
		}
		return nil, err
	}
	if rec.Stage.MethodSettings == nil {
		rec.Stage.MethodSettings = map[string]*model.MethodSetting{}
	}
	return &rec, nil
}

type createStageInput struct {
	StageName            *string               `json:"stageName"`
	DeploymentId         *string               `json:"deploymentId"`
	Description          string                `json:"description"`
	CacheClusterEnabled  bool                  `json:"cacheClusterEnabled"`
	CacheClusterSize     string                `json:"cacheClusterSize"`
	Variables            map[string]string     `json:"variables"`
	DocumentationVersion string                `json:"documentationVersion"`
	CanarySettings       *model.CanarySettings `json:"canarySettings"`
	TracingEnabled       bool                  `json:"tracingEnabled"`
	Tags                 map[string]string     `json:"tags"`
}

func (s *server) createStage(c *call) (int, any, error) {
	var in createStageInput
	if err := c.decode(&in); err != nil {
		return 0, nil, err
	}
	for field, v := range map[string]*string{"stageName": in.StageName, "deploymentId": in.DeploymentId} {
		if v == nil {
			return 0, nil, &apiError{http.StatusBadRequest, "ValidationException", "1 validation error detected: Value null at 'createStageInput." + field + "' failed to satisfy constraint: Member must not be null"}
		}
	}
	if *in.StageName == "" {
		return 0, nil, checkStageName("")
	}
	if err := checkStageInput(*in.StageName, in.Variables, in.CacheClusterSize); err != nil {
		return 0, nil, err
	}
	if err := checkCanary(in.CanarySettings); err != nil {
		return 0, nil, err
	}
	apiID := c.p["api"]
	var out *model.Stage
	err := s.st.Update(func(tx store.Tx) error {
		if _, err := s.loadDoc(tx, apiID); err != nil {
			return err
		}
		if ok, err := deploymentExists(tx, apiID, *in.DeploymentId); err != nil || !ok {
			if err != nil {
				return err
			}
			return badRequest("Deployment id does not exist")
		}
		if _, err := loadStage(tx, apiID, *in.StageName); err == nil {
			return conflict("Stage already exists")
		}
		st := newStage(*in.StageName, *in.DeploymentId)
		st.Description = in.Description
		st.Variables = in.Variables
		st.DocumentationVersion = in.DocumentationVersion
		st.TracingEnabled = in.TracingEnabled
		st.Tags = in.Tags
		setCacheCluster(&st, in.CacheClusterEnabled, in.CacheClusterSize)
		if in.CanarySettings != nil {
			cs := *in.CanarySettings
			if cs.DeploymentId != "" {
				if ok, err := deploymentExists(tx, apiID, cs.DeploymentId); err != nil || !ok {
					if err != nil {
						return err
					}
					return badRequest("Deployment id does not exist")
				}
			} else {
				// A canary starts on the stage's own deployment, as the console creates it.
				cs.DeploymentId = st.DeploymentId
			}
			st.CanarySettings = &cs
		}
		out = &st
		return tx.Put(store.KindStage, store.Key(apiID, st.StageName), &model.StageRecord{Stage: st, APIID: apiID})
	})
	return http.StatusCreated, out, err
}

func (s *server) getStage(c *call) (int, any, error) {
	var out *model.Stage
	err := s.st.View(func(tx store.Tx) error {
		if _, err := s.loadDoc(tx, c.p["api"]); err != nil {
			return err
		}
		rec, err := loadStage(tx, c.p["api"], c.p["stage"])
		if err != nil {
			return err
		}
		out = &rec.Stage
		return nil
	})
	return http.StatusOK, out, err
}

// getStages lists every stage of the API (AWS does not paginate GetStages).
func (s *server) getStages(c *call) (int, any, error) {
	stages := []*model.Stage{}
	err := s.st.View(func(tx store.Tx) error {
		if _, err := s.loadDoc(tx, c.p["api"]); err != nil {
			return err
		}
		all, err := listStages(tx, c.p["api"])
		for _, st := range all {
			if dep := c.q.Get("deploymentId"); dep == "" || st.DeploymentId == dep {
				stages = append(stages, st)
			}
		}
		return err
	})
	return http.StatusOK, &list{Item: stages}, err
}

// defaultMethodSetting is the block AWS materialises on a stage's first method-settings patch.
func defaultMethodSetting() *model.MethodSetting {
	return &model.MethodSetting{
		ThrottlingBurstLimit:                   5000,
		ThrottlingRateLimit:                    10000,
		CacheTtlInSeconds:                      300,
		RequireAuthorizationForCacheControl:    true,
		UnauthorizedCacheControlHeaderStrategy: "SUCCEED_WITH_RESPONSE_HEADER",
	}
}

// methodSettingPath splits "/{resourcePath}/{VERB}/{group}/{name}" (or, when whole, the
// "/{resourcePath}/{VERB}" of a block) into the methodSettings key and the setting name.
func methodSettingPath(path string, whole bool) (key, setting string, ok bool) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	want := 4
	if whole {
		want = 2
	}
	if len(segs) != want {
		return "", "", false
	}
	res, verb := unescapePointer(segs[0]), segs[1]
	if (res == "*") != (verb == "*") || (verb != "*" && !contains(httpMethods, verb)) {
		return "", "", false
	}
	if res != "*" && !strings.HasPrefix(res, "/") {
		return "", "", false
	}
	key = strings.TrimPrefix(res, "/") + "/" + verb
	if whole {
		return key, "", true
	}
	return key, segs[2] + "/" + segs[3], true
}

var methodSettingNames = []string{
	"metrics/enabled", "logging/dataTrace", "logging/loglevel", "throttling/burstLimit", "throttling/rateLimit",
	"caching/enabled", "caching/ttlInSeconds", "caching/dataEncrypted",
	"caching/requireAuthorizationForCacheControl", "caching/unauthorizedCacheControlHeaderStrategy",
}

func setMethodSetting(ms *model.MethodSetting, setting string, p patch) error {
	var err error
	switch setting {
	case "metrics/enabled":
		ms.MetricsEnabled, err = patchBool(p)
	case "logging/dataTrace":
		ms.DataTraceEnabled, err = patchBool(p)
	case "logging/loglevel":
		if !contains(logLevels, p.value) {
			return badRequest("Invalid logging level specified: %s. Valid options are OFF, ERROR, INFO", p.value)
		}
		ms.LoggingLevel = p.value
	case "throttling/burstLimit":
		var n int64
		if n, err = patchInt(p); err == nil && n < 0 {
			return badRequest("Burst limit must be non-negative")
		}
		ms.ThrottlingBurstLimit = n
	case "throttling/rateLimit":
		var f float64
		if f, err = patchFloat(p); err == nil && f < 0 {
			return badRequest("Rate limit must be non-negative")
		}
		ms.ThrottlingRateLimit = f
	case "caching/enabled":
		ms.CachingEnabled, err = patchBool(p)
	case "caching/ttlInSeconds":
		var n int64
		if n, err = patchInt(p); err == nil && (n < 0 || n > 3600) {
			return badRequest("Cache TTL must be between 0 and 3600 seconds")
		}
		ms.CacheTtlInSeconds = n
	case "caching/dataEncrypted":
		ms.CacheDataEncrypted, err = patchBool(p)
	case "caching/requireAuthorizationForCacheControl":
		ms.RequireAuthorizationForCacheControl, err = patchBool(p)
	case "caching/unauthorizedCacheControlHeaderStrategy":
		if !contains(cacheStrategies, p.value) {
			return enumError(p.value, "unauthorizedCacheControlHeaderStrategy", cacheStrategies)
		}
		ms.UnauthorizedCacheControlHeaderStrategy = p.value
	}
	return err
}

func stageRules(tx store.Tx, apiID string, st *model.Stage) []patchRule {
	checkDeployment := func(id string) error {
		ok, err := deploymentExists(tx, apiID, id)
		if err != nil {
			return err
		}
		if !ok {
			return badRequest("Deployment id does not exist")
		}
		return nil
	}
	canary := func() *model.CanarySettings {
		if st.CanarySettings == nil {
			// A canary starts on the stage's own deployment, as the console creates it.
			st.CanarySettings = &model.CanarySettings{DeploymentId: st.DeploymentId}
		}
		return st.CanarySettings
	}
	accessLog := func() *model.AccessLogSettings {
		if st.AccessLogSettings == nil {
			st.AccessLogSettings = &model.AccessLogSettings{}
		}
		return st.AccessLogSettings
	}
	return []patchRule{
		replaceString("/description", &st.Description),
		{path: "/deploymentId", ops: []string{"replace", "copy"}, apply: func(p patch) error {
			id := p.value
			if p.op == "copy" {
				if p.from != "/canarySettings/deploymentId" || st.CanarySettings == nil {
					return badRequest("Invalid copy from path %s; must be /canarySettings/deploymentId", p.from)
				}
				id = st.CanarySettings.DeploymentId
			}
			if err := checkDeployment(id); err != nil {
				return err
			}
			st.DeploymentId = id
			return nil
		}},
		{path: "/variables", ops: []string{"copy"}, apply: func(p patch) error {
			if p.from != "/canarySettings/stageVariableOverrides" || st.CanarySettings == nil {
				return badRequest("Invalid copy from path %s; must be /canarySettings/stageVariableOverrides", p.from)
			}
			if st.Variables == nil {
				st.Variables = map[string]string{}
			}
			for k, v := range st.CanarySettings.StageVariableOverrides {
				st.Variables[k] = v
			}
			return nil
		}},
		stringMap("/variables", &st.Variables),
		replaceBool("/tracingEnabled", &st.TracingEnabled),
		{path: "/cacheClusterEnabled", ops: replaceOnly, apply: func(p patch) error {
			b, err := patchBool(p)
			if err == nil {
				setCacheCluster(st, b, "")
			}
			return err
		}},
		{path: "/cacheClusterSize", ops: replaceOnly, apply: func(p patch) error {
			if err := checkCacheSize(p.value); err != nil {
				return err
			}
			st.CacheClusterSize = p.value
			return nil
		}},
		{path: "/clientCertificateId", ops: replaceOnly, apply: func(p patch) error {
			if p.value != "" {
				if _, err := loadClientCert(tx, p.value); err != nil {
					return badRequest("Invalid client certificate identifier specified")
				}
			}
			st.ClientCertificateId = p.value
			return nil
		}},
		replaceString("/documentationVersion", &st.DocumentationVersion),
		{path: "/accessLogSettings/destinationArn", ops: replaceOnly, apply: func(p patch) error {
			accessLog().DestinationArn = p.value
			return nil
		}},
		{path: "/accessLogSettings/format", ops: replaceOnly, apply: func(p patch) error {
			if p.value != "" && !strings.Contains(p.value, "$context.requestId") && !strings.Contains(p.value, "$context.extendedRequestId") {
				return badRequest("Access Log format must contain at least one of $context.requestId or $context.extendedRequestId")
			}
			accessLog().Format = p.value
			return nil
		}},
		{path: "/accessLogSettings", ops: []string{"remove"}, apply: func(patch) error {
			st.AccessLogSettings = nil
			return nil
		}},
		{path: "/canarySettings/percentTraffic", ops: replaceOnly, apply: func(p patch) error {
			f, err := patchFloat(p)
			if err != nil || f < 0 || f > 100 {
				return badRequest("Canary traffic percentage must be between 0.0 and 100.0")
			}
			canary().PercentTraffic = f
			return nil
		}},
		{path: "/canarySettings/deploymentId", ops: replaceOnly, apply: func(p patch) error {
			if err := checkDeployment(p.value); err != nil {
				return err
			}
			canary().DeploymentId = p.value
			return nil
		}},
		{path: "/canarySettings/useStageCache", ops: replaceOnly, apply: func(p patch) error {
			b, err := patchBool(p)
			canary().UseStageCache = b
			return err
		}},
		{path: "/canarySettings/stageVariableOverrides/*", ops: mapOps, apply: func(p patch) error {
			cs := canary()
			return stringMap("/canarySettings/stageVariableOverrides", &cs.StageVariableOverrides).apply(p)
		}},
		{path: "/canarySettings", ops: []string{"remove"}, apply: func(patch) error {
			st.CanarySettings = nil
			return nil
		}},
		{
			path: "/{resourcePath}/{httpMethod}/{setting}", ops: replaceOnly,
			match: func(path string) (string, bool) {
				key, setting, ok := methodSettingPath(path, false)
				return key + "\n" + setting, ok && contains(methodSettingNames, setting)
			},
			apply: func(p patch) error {
				key, setting, _ := strings.Cut(p.key, "\n")
				ms := st.MethodSettings[key]
				if ms == nil {
					ms = defaultMethodSetting()
				}
				if err := setMethodSetting(ms, setting, p); err != nil {
					return err
				}
				st.MethodSettings[key] = ms
				return nil
			},
		},
		{
			path: "/{resourcePath}/{httpMethod}", ops: []string{"remove"},
			match: func(path string) (string, bool) {
				key, _, ok := methodSettingPath(path, true)
				return key, ok
			},
			apply: func(p patch) error {
				delete(st.MethodSettings, p.key)
				return nil
			},
		},
	}
}

func (s *server) updateStage(c *call) (int, any, error) {
	apiID := c.p["api"]
	var out *model.Stage
	err := s.st.Update(func(tx store.Tx) error {
		if _, err := s.loadDoc(tx, apiID); err != nil {
			return err
		}
		rec, err := loadStage(tx, apiID, c.p["stage"])
		if err != nil {
			return err
		}
		st := &rec.Stage
		if err := applyPatch(c, "updateStageInput", stageRules(tx, apiID, st)); err != nil {
			return err
		}
		if err := checkVariables(st.Variables); err != nil {
			return err
		}
		if err := checkCanary(st.CanarySettings); err != nil {
			return err
		}
		st.LastUpdatedDate = model.Now()
		out = st
		return tx.Put(store.KindStage, store.Key(apiID, st.StageName), rec)
	})
	return http.StatusOK, out, err
}

func (s *server) deleteStage(c *call) (int, any, error) {
	apiID := c.p["api"]
	err := s.st.Update(func(tx store.Tx) error {
		if _, err := s.loadDoc(tx, apiID); err != nil {
			return err
		}
		if _, err := loadStage(tx, apiID, c.p["stage"]); err != nil {
			return err
		}
		return tx.Delete(store.KindStage, store.Key(apiID, c.p["stage"]))
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}
