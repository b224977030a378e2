-- Findings, bands, reports and the rebalancer's audit log. Plain PostgreSQL 15 SQL: the same file
-- runs on a real server and on embedded PGlite. Tables are prefixed so tenantscope can share a
-- database with other applications. Times are timestamptz (UTC instants), documents jsonb.

-- One row per episode, keyed by the analyzer's stable id. `body` holds the rest of the finding
-- (resource, suspect, victims, evidence, extra properties); the columns beside it exist for queries.
CREATE TABLE tenantscope_findings (
  id             text PRIMARY KEY,
  kind           text NOT NULL CHECK (kind IN ('noisy-neighbor', 'platform-degradation', 'tenant-degradation')),
  resource_kind  text NOT NULL CHECK (resource_kind IN ('node', 'postgres', 'redis', 'ingress')),
  resource_id    text NOT NULL,
  suspect_tenant text,
  start_at       timestamptz NOT NULL,
  end_at         timestamptz CHECK (end_at IS NULL OR end_at >= start_at),
  confidence     double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  severity       text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  body           jsonb NOT NULL,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);
-- window overlap: start_at <= to AND (end_at IS NULL OR end_at >= from)
CREATE INDEX tenantscope_findings_start ON tenantscope_findings (start_at);
-- open episodes are few and read every tick
CREATE INDEX tenantscope_findings_open ON tenantscope_findings (start_at) WHERE end_at IS NULL;

-- Band changes only: a row is written when a tenant's band differs from its latest row, so the
-- latest row per tenant is its current band and the rows of a tenant are its history.
CREATE TABLE tenantscope_band_changes (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant      text NOT NULL,
  band        text NOT NULL CHECK (band IN ('low', 'medium', 'high')),
  previous    text CHECK (previous IN ('low', 'medium', 'high')),
  since       timestamptz NOT NULL,
  -- features, tier, mismatch of the latest classification (refreshed while the band holds)
  body        jsonb NOT NULL,
  updated_at  timestamptz NOT NULL
);
CREATE INDEX tenantscope_band_changes_tenant ON tenantscope_band_changes (tenant, seq DESC);

CREATE TABLE tenantscope_reports (
  seq          bigint GENERATED ALWAYS AS IDENTITY,
  id           text PRIMARY KEY,
  kind         text NOT NULL CHECK (kind <> ''),
  period_from  timestamptz NOT NULL,
  period_to    timestamptz NOT NULL CHECK (period_to >= period_from),
  body         jsonb NOT NULL,
  created_at   timestamptz NOT NULL
);
CREATE INDEX tenantscope_reports_latest ON tenantscope_reports (kind, created_at DESC, seq DESC);

-- What the rebalancer did or would have done (dry run). Append-only: the triggers below refuse
-- UPDATE, DELETE and TRUNCATE so a bug or a hand-written query cannot rewrite history.
CREATE TABLE tenantscope_audit_log (
  seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at       timestamptz NOT NULL,
  actor    text NOT NULL,
  action   text NOT NULL,
  target   text NOT NULL,
  details  jsonb NOT NULL,
  dry_run  boolean NOT NULL
);
CREATE INDEX tenantscope_audit_log_at ON tenantscope_audit_log (at, seq);

CREATE FUNCTION tenantscope_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'tenantscope_audit_log is append-only (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER tenantscope_audit_log_append_only
  BEFORE UPDATE OR DELETE ON tenantscope_audit_log
  FOR EACH ROW EXECUTE FUNCTION tenantscope_audit_log_append_only();

CREATE TRIGGER tenantscope_audit_log_no_truncate
  BEFORE TRUNCATE ON tenantscope_audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION tenantscope_audit_log_append_only();
