package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/portico-dev/portico"
)

// DirectoryConfig is an account's directory connection, kept as the application encoded it, with the
// bind password apart so that it is never read back by accident with the rest.
type DirectoryConfig struct {
	AccountID    string
	Config       json.RawMessage
	BindPassword string
	UpdatedAt    time.Time
}

// GetDirectoryConfig returns the account's directory configuration, or NotFound.
func (q *querier) GetDirectoryConfig(ctx context.Context, accountID string) (*DirectoryConfig, error) {
	c := DirectoryConfig{AccountID: accountID}
	var raw string
	err := q.queryRow(ctx, `SELECT config, bind_password, updated_at FROM directory_configs WHERE account_id = $1`, accountID).
		Scan(&raw, &c.BindPassword, timeCol{&c.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("directory configuration")
	}
	if err != nil {
		return nil, fmt.Errorf("get directory config: %w", err)
	}
	c.Config = json.RawMessage(raw)
	return &c, nil
}

// SetDirectoryConfig stores the account's directory configuration, replacing any previous one.
func (q *querier) SetDirectoryConfig(ctx context.Context, c *DirectoryConfig) error {
	_, err := q.exec(ctx, `INSERT INTO directory_configs (account_id, config, bind_password, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id) DO UPDATE SET config = excluded.config, bind_password = excluded.bind_password,
		updated_at = excluded.updated_at`, c.AccountID, string(c.Config), c.BindPassword, normTime(c.UpdatedAt))
	return wrap("set directory config", err)
}

// DirectoryLink ties a user or user group to its directory entry.
type DirectoryLink struct {
	ObjectID string `json:"id"`
	DN       string `json:"dn"`
	DNKey    string `json:"-"`
}

func directoryTable(groups bool) (table, col string) {
	if groups {
		return "directory_groups", "group_id"
	}
	return "directory_users", "user_id"
}

// ListDirectoryLinks lists the account's users (groups=false) or user groups (groups=true) imported
// from the directory.
func (q *querier) ListDirectoryLinks(ctx context.Context, accountID string, groups bool) ([]DirectoryLink, error) {
	table, col := directoryTable(groups)
	rows, err := q.query(ctx, `SELECT `+col+`, dn, dn_key FROM `+table+` WHERE account_id = $1 ORDER BY dn_key`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list directory links: %w", err)
	}
	links, err := scanAll(rows, func(s scanner) (DirectoryLink, error) {
		var l DirectoryLink
		err := s.Scan(&l.ObjectID, &l.DN, &l.DNKey)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("list directory links: %w", err)
	}
	return links, nil
}

// SetDirectoryLink records (or moves) the directory entry of a user or user group of the account.
func (q *querier) SetDirectoryLink(ctx context.Context, accountID string, groups bool, l DirectoryLink, at time.Time) error {
	table, col := directoryTable(groups)
	res, err := q.exec(ctx, `INSERT INTO `+table+` (`+col+`, account_id, dn, dn_key, synced_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (`+col+`) DO UPDATE SET dn = excluded.dn, dn_key = excluded.dn_key, synced_at = excluded.synced_at
		WHERE `+table+`.account_id = excluded.account_id`,
		l.ObjectID, accountID, l.DN, l.DNKey, normTime(at))
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return fmt.Errorf("set directory link: %w", notFound("user or user group"))
	}
	if err != nil {
		return wrap("set directory link", err)
	}
	// No row changed: the object is another account's (the update's condition kept it apart).
	if n, err := res.RowsAffected(); err != nil {
		return wrap("set directory link", err)
	} else if n == 0 {
		return fmt.Errorf("set directory link: %w", notFound("user or user group"))
	}
	return nil
}

const directoryJobCols = `id, account_id, started_by, state, phase, processed, total, result, error, created_at, updated_at, finished_at`

// CreateDirectoryJob stores a new job.
func (q *querier) CreateDirectoryJob(ctx context.Context, j *portico.DirectoryJob) error {
	j.CreatedAt, j.UpdatedAt, j.FinishedAt = normTime(j.CreatedAt), normTime(j.UpdatedAt), normTimePtr(j.FinishedAt)
	_, err := q.exec(ctx, `INSERT INTO directory_jobs (`+directoryJobCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		j.ID, j.AccountID, j.StartedBy, j.State, j.Phase, j.Processed, j.Total, jobResult(j.Result), j.Error,
		j.CreatedAt, j.UpdatedAt, j.FinishedAt)
	return wrap("create directory job", err)
}

func jobResult(r json.RawMessage) string {
	if len(r) == 0 {
		return "null"
	}
	return string(r)
}

// UpdateDirectoryJob stores a job's progress, state, result and error.
func (q *querier) UpdateDirectoryJob(ctx context.Context, j *portico.DirectoryJob) error {
	j.UpdatedAt, j.FinishedAt = normTime(j.UpdatedAt), normTimePtr(j.FinishedAt)
	return wrap("update directory job", q.execOne(ctx, "directory job", `UPDATE directory_jobs SET state = $3, phase = $4,
		processed = $5, total = $6, result = $7, error = $8, updated_at = $9, finished_at = $10
		WHERE account_id = $1 AND id = $2`, j.AccountID, j.ID, j.State, j.Phase, j.Processed, j.Total,
		jobResult(j.Result), j.Error, j.UpdatedAt, j.FinishedAt))
}

func scanDirectoryJob(s scanner) (portico.DirectoryJob, error) {
	var j portico.DirectoryJob
	var result string
	err := s.Scan(&j.ID, &j.AccountID, &j.StartedBy, &j.State, &j.Phase, &j.Processed, &j.Total, &result, &j.Error,
		timeCol{&j.CreatedAt}, timeCol{&j.UpdatedAt}, nullTimeCol{&j.FinishedAt})
	if result != "null" && result != "" {
		j.Result = json.RawMessage(result)
	}
	return j, err
}

// GetDirectoryJob returns a job of the account.
func (q *querier) GetDirectoryJob(ctx context.Context, accountID, id string) (*portico.DirectoryJob, error) {
	j, err := scanDirectoryJob(q.queryRow(ctx, `SELECT `+directoryJobCols+` FROM directory_jobs WHERE account_id = $1 AND id = $2`, accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("directory job")
	}
	if err != nil {
		return nil, fmt.Errorf("get directory job: %w", err)
	}
	return &j, nil
}

// ListDirectoryJobs lists the account's most recent jobs, newest first.
func (q *querier) ListDirectoryJobs(ctx context.Context, accountID string, limit int) ([]portico.DirectoryJob, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := q.query(ctx, `SELECT `+directoryJobCols+` FROM directory_jobs WHERE account_id = $1
		ORDER BY created_at DESC, id DESC LIMIT `+fmt.Sprint(limit), accountID)
	if err != nil {
		return nil, fmt.Errorf("list directory jobs: %w", err)
	}
	jobs, err := scanAll(rows, scanDirectoryJob)
	if err != nil {
		return nil, fmt.Errorf("list directory jobs: %w", err)
	}
	return jobs, nil
}
