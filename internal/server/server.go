package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/portico/portico/internal/auth/iam"
	"github.com/portico/portico/internal/auth/oidc"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/functions"
	"github.com/portico/portico/internal/gateway"
	"github.com/portico/portico/internal/mgmt"
	"github.com/portico/portico/internal/state"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/bolt"
)

// HealthPath answers 200 on the admin listener without a signature, for load balancers and scripts.
const HealthPath = "/_portico/health"

// Server is a running Portico.
type Server struct {
	Config      Config
	Credentials Credentials
	// DataAddr and AdminAddr are the bound listener addresses (useful when configured with port 0).
	DataAddr, AdminAddr string
	// TLSAddr is the bound TLS data plane address ("" when TLS is off).
	TLSAddr string

	store   store.Store
	gateway *gateway.Gateway
	domains *domain.Set
	obs     *observability
	funcs   *functions.Runtime
	data    *http.Server
	admin   *http.Server
	log     *slog.Logger
	done    chan struct{}
	errOnce sync.Once
	err     error

	shutdownOnce sync.Once
	shutdownErr  error

	// identities are the IAM callers of AWS_IAM methods.
	identities *iam.Registry
}

// Start opens the store, builds both planes and starts serving. banner receives, once, the lines
// a user pastes to use the AWS CLI when credentials were generated on this start.
func Start(cfg Config, log *slog.Logger, banner io.Writer) (*Server, error) {
	// Function workers run in their code's directory: paths under the data directory must
	// not depend on the working directory.
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	cfg.DataDir = dataDir
	if err := oidc.CheckPools(cfg.CognitoPools); err != nil {
		return nil, fmt.Errorf("cognito pools: %w", err)
	}
	if cfg.CertDir == "" {
		cfg.CertDir = filepath.Join(dataDir, "certs")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	creds, created, err := ensureCredentials(cfg)
	if err != nil {
		return nil, err
	}
	obs, err := openObservability(cfg)
	if err != nil {
		return nil, err
	}
	obs.tracer = openTracer(cfg, obs.metrics, log)
	st, err := bolt.Open(cfg.DataDir)
	if err != nil {
		obs.close()
		return nil, err
	}
	ids, err := openIdentities(cfg, st, creds, log)
	if err != nil {
		st.Close()
		obs.close()
		return nil, err
	}
	started := false
	defer func() {
		if !started {
			ids.Close()
		}
	}()
	fr, err := openFunctions(cfg, st, log, obs.metrics)
	if err != nil {
		st.Close()
		obs.close()
		return nil, err
	}
	invoker, err := cfg.AWS.invoker(cfg.Region, fr)
	if err != nil {
		fr.Close()
		st.Close()
		obs.close()
		return nil, err
	}
	domains, err := openDomains(cfg, st, log)
	if err != nil {
		fr.Close()
		st.Close()
		obs.close()
		return nil, err
	}
	gw, err := gateway.New(st, gateway.Options{
		Domains:               domains,
		Metrics:               obs.metrics,
		AccessLogs:            obs.sinks,
		ExecLogs:              obs.exec,
		Tracer:                obs.tracer,
		Functions:             invoker,
		Identities:            ids,
		Tokens:                oidc.NewVerifier(oidc.Config{Pools: cfg.CognitoPools}),
		AWS:                   cfg.AWS.services(),
		Region:                cfg.Region,
		AccountID:             cfg.AccountID,
		Domain:                cfg.Domain,
		MaxIntegrationTimeout: cfg.MaxIntegrationTimeout,
		MaxPayloadBytes:       cfg.MaxPayloadBytes,
		Logger:                log,
		AccountLimit:          state.Limit{Rate: cfg.ThrottleRate, Burst: cfg.ThrottleBurst},
	})
	if err != nil {
		fr.Close()
		st.Close()
		obs.close()
		domains.Close()
		return nil, err
	}
	adminMux := http.NewServeMux()
	obs.handle(adminMux, st)
	obs.handleExecLogs(adminMux, cfg.Region, creds)
	adminMux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	})
	adminMux.Handle("/", mgmt.WithAudit(mgmt.New(st, mgmt.Options{
		Region:                cfg.Region,
		AccountID:             cfg.AccountID,
		Credentials:           map[string]string{creds.AccessKeyID: creds.SecretAccessKey},
		Logger:                log,
		MaxIntegrationTimeout: cfg.MaxIntegrationTimeout,
		ThrottleRate:          cfg.ThrottleRate,
		ThrottleBurst:         cfg.ThrottleBurst,
		Caches:                gw,
		CertDir:               cfg.CertDir,
		MethodTester:          gw,
		AuthorizerTester:      gw,
	}), obs.audit, log))
	closeLambdaAPI := mountLambdaAPI(adminMux, fr, cfg, creds, log)

	dataLn, tlsLn, err := listenData(cfg)
	if err != nil {
		domains.Close()
		gw.Close()
		fr.Close()
		st.Close()
		obs.close()
		return nil, fmt.Errorf("data plane listener: %w", err)
	}
	adminLn, err := net.Listen("tcp", cfg.AdminListen)
	if err != nil {
		closeListeners(dataLn, tlsLn)
		domains.Close()
		gw.Close()
		fr.Close()
		st.Close()
		obs.close()
		return nil, fmt.Errorf("admin listener: %w", err)
	}
	s := &Server{
		Config:      cfg,
		Credentials: creds,
		DataAddr:    listenerAddr(dataLn),
		TLSAddr:     listenerAddr(tlsLn),
		domains:     domains,
		AdminAddr:   adminLn.Addr().String(),
		store:       st,
		gateway:     gw,
		identities:  ids,
		obs:         obs,
		funcs:       fr,
		log:         log,
		done:        make(chan struct{}),
		data: &http.Server{
			Handler:           gw,
			TLSConfig:         domains.TLSConfig(),
			ReadHeaderTimeout: 30 * time.Second,
			IdleTimeout:       120 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		admin: &http.Server{
			Handler:           withIAMAPI(adminMux, st, cfg, creds, obs, log),
			ReadHeaderTimeout: 30 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
	}
	s.admin.RegisterOnShutdown(closeLambdaAPI)
	s.admin.RegisterOnShutdown(obs.stopFollowing)
	var wg sync.WaitGroup
	for _, p := range []struct {
		srv *http.Server
		ln  net.Listener
	}{{s.data, dataLn}, {s.data, tlsListener(tlsLn, domains)}, {s.admin, adminLn}} {
		if p.ln == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.srv.Serve(p.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.fail(err)
			}
		}()
	}
	go func() { wg.Wait(); close(s.done) }()

	log.Info("portico started", "data", s.DataAddr, "tls", s.TLSAddr, "admin", s.AdminAddr, "dataDir", cfg.DataDir, "region", cfg.Region)
	if created && banner != nil {
		fmt.Fprintf(banner, `Portico generated admin credentials (kept in %s/%s). To use the AWS CLI:
  export AWS_ACCESS_KEY_ID=%s
  export AWS_SECRET_ACCESS_KEY=%s
  export AWS_DEFAULT_REGION=%s
  aws --endpoint-url http://%s apigateway get-rest-apis
`, cfg.DataDir, CredentialsFile, creds.AccessKeyID, creds.SecretAccessKey, cfg.Region, DialAddr(s.AdminAddr))
	}
	started = true
	return s, nil
}

func (s *Server) fail(err error) {
	s.errOnce.Do(func() { s.err = err })
	s.log.Error("listener stopped", "err", err)
	go s.Shutdown(context.Background())
}

// Done is closed when both listeners have stopped.
func (s *Server) Done() <-chan struct{} { return s.done }

// Err returns the error that stopped a listener, if one did.
func (s *Server) Err() error {
	<-s.done
	return s.err
}

// Shutdown stops accepting, lets in-flight requests finish (until ctx ends), then closes the
// store. Later calls wait for the first and return its result.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() {
		var errs []error
		for _, srv := range []*http.Server{s.data, s.admin} {
			if err := srv.Shutdown(ctx); err != nil {
				errs = append(errs, err)
				srv.Close()
			}
		}
		<-s.done
		s.funcs.Close()
		s.gateway.Close()
		s.identities.Close()
		s.domains.Close()
		if err := s.store.Close(); err != nil {
			errs = append(errs, err)
		}
		if err := s.obs.close(); err != nil {
			errs = append(errs, err)
		}
		s.shutdownErr = errors.Join(errs...)
	})
	return s.shutdownErr
}

// DialAddr turns a bound address into one a client on this machine can dial.
func DialAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
