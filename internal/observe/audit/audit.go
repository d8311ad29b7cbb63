// Package audit is Portico's record of who changed what through the management API, what
// CloudTrail gives AWS users: one JSON object a line, appended to {data-dir}/audit.log, with
// CloudTrail's field names where CloudTrail has the field.
//
// An entry is written before the call's answer leaves, and a call that cannot be recorded is
// still answered (the failure is logged): the audit log follows the store, it does not guard it.
//
// audit imports the standard library only.
package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// FileName is the audit log's name inside the data directory.
const FileName = "audit.log"

// Entry is one management call that changes something, or was refused.
type Entry struct {
	EventTime time.Time `json:"eventTime"`
	// EventName is the operation, as AWS names it (CreateRestApi, UpdateStage, ...); empty when
	// the call named no operation.
	EventName string `json:"eventName"`
	// AccessKeyID is the key the call was signed with: the one it claimed when it was refused.
	AccessKeyID     string `json:"accessKeyId,omitempty"`
	SourceIPAddress string `json:"sourceIPAddress"`
	UserAgent       string `json:"userAgent,omitempty"`
	HTTPMethod      string `json:"httpMethod"`
	RequestPath     string `json:"requestPath"`
	// RequestParameters are the path placeholders, query and body of the call, with secrets
	// replaced by "***" and bodies that are documents summarised by size and digest.
	RequestParameters map[string]any `json:"requestParameters,omitempty"`
	// ResponseElements hold the id of what the call created or changed, when it answers one.
	ResponseElements map[string]any `json:"responseElements,omitempty"`
	Status           int            `json:"status"`
	ErrorCode        string         `json:"errorCode,omitempty"`
	ErrorMessage     string         `json:"errorMessage,omitempty"`
	RequestID        string         `json:"requestID,omitempty"`
}

// Log appends entries to a file. It is safe for concurrent use.
type Log struct {
	mu sync.Mutex
	f  *os.File
}

// Open opens (creating it, readable by its owner only) the audit log at path for appending.
func Open(path string) (*Log, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return &Log{f: f}, nil
}

// Append writes one entry as one line.
func (l *Log) Append(e *Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return errors.New("audit log is closed")
	}
	_, err = l.f.Write(b)
	return err
}

// Close closes the file; later Appends fail.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Read calls fn for each entry at or after since, in the order written. A line that does not
// parse (a torn last write) is skipped and counted in skipped.
func Read(r io.Reader, since time.Time, fn func(*Entry) error) (skipped int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var e Entry
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			skipped++
			continue
		}
		if e.EventTime.Before(since) {
			continue
		}
		if err := fn(&e); err != nil {
			return skipped, err
		}
	}
	return skipped, sc.Err()
}
