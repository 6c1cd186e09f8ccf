/* SPDX-License-Identifier: Apache-2.0 */
/* The schema, as an append-only list of migrations (see migrations.h). */
#include "migrations.h"

/*
 * Version 1: the broker's state (DESIGN.md, "Broker state").
 * Conventions: ids are INTEGER PRIMARY KEY; foreign key columns end in _id; times are unix
 * seconds; booleans are 0/1 with a CHECK. ON DELETE is RESTRICT wherever deleting the parent
 * would strand something real (a pool's template, a VM's disk base, a personal VM's owner),
 * CASCADE where the child means nothing without the parent (memberships, entitlements).
 */
static const char schema_v1[] =
    "CREATE TABLE templates ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created INTEGER NOT NULL"
    ");"
    /* Versions are immutable; deleting a template deletes its versions, which fails
     * (RESTRICT below) while a pool pins one or a VM's disk is backed by one. */
    "CREATE TABLE template_versions ("
    "  id INTEGER PRIMARY KEY,"
    "  template_id INTEGER NOT NULL REFERENCES templates(id) ON DELETE CASCADE,"
    "  version INTEGER NOT NULL CHECK (version >= 1),"
    "  base_path TEXT NOT NULL,"
    "  kernel TEXT NOT NULL DEFAULT '',"
    "  initrd TEXT NOT NULL DEFAULT '',"
    "  append TEXT NOT NULL DEFAULT '',"
    "  memory_mb INTEGER NOT NULL CHECK (memory_mb > 0),"
    "  vcpus INTEGER NOT NULL CHECK (vcpus > 0),"
    "  has_rdp INTEGER NOT NULL DEFAULT 1 CHECK (has_rdp IN (0, 1)),"
    "  sha256 TEXT NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  UNIQUE (template_id, version)"
    ");"
    "CREATE TABLE pools ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  type TEXT NOT NULL CHECK (type IN ('pooled', 'personal')),"
    "  template_id INTEGER NOT NULL REFERENCES templates(id) ON DELETE RESTRICT,"
    /* NULL: follow the template's latest version. */
    "  template_version_id INTEGER REFERENCES template_versions(id) ON DELETE RESTRICT,"
    "  min_vms INTEGER NOT NULL DEFAULT 0 CHECK (min_vms >= 0),"
    "  max_vms INTEGER NOT NULL CHECK (max_vms >= 0),"
    "  spare INTEGER NOT NULL DEFAULT 0 CHECK (spare >= 0),"
    "  spare_stopped INTEGER NOT NULL DEFAULT 0 CHECK (spare_stopped >= 0),"
    "  naming TEXT NOT NULL,"
    "  max_provisioning INTEGER NOT NULL DEFAULT 1 CHECK (max_provisioning >= 1),"
    "  disconnect_timeout_s INTEGER NOT NULL DEFAULT 3600 CHECK (disconnect_timeout_s >= 0),"
    "  idle_timeout_s INTEGER NOT NULL DEFAULT 0 CHECK (idle_timeout_s >= 0),"
    "  max_session_s INTEGER NOT NULL DEFAULT 0 CHECK (max_session_s >= 0),"
    "  refresh_on_logoff INTEGER NOT NULL DEFAULT 1 CHECK (refresh_on_logoff IN (0, 1)),"
    "  allow_user_reset INTEGER NOT NULL DEFAULT 0 CHECK (allow_user_reset IN (0, 1)),"
    "  clone_mode TEXT NOT NULL DEFAULT 'instant' CHECK (clone_mode IN ('instant', 'boot')),"
    "  memory_mb INTEGER NOT NULL DEFAULT 0 CHECK (memory_mb >= 0),"
    "  vcpus INTEGER NOT NULL DEFAULT 0 CHECK (vcpus >= 0),"
    "  paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),"
    "  paused_reason TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL,"
    "  CHECK (min_vms <= max_vms),"
    "  CHECK (spare + spare_stopped <= max_vms)"
    ");"
    /* A pinned version must be one of the pool's template's versions; a CHECK cannot look
     * at another table, so triggers do. */
    "CREATE TRIGGER pools_pin_insert BEFORE INSERT ON pools"
    " WHEN NEW.template_version_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
    "  template_versions v WHERE v.id = NEW.template_version_id"
    "  AND v.template_id = NEW.template_id)"
    " BEGIN SELECT RAISE(ABORT, 'pinned template version belongs to another template'); END;"
    "CREATE TRIGGER pools_pin_update BEFORE UPDATE OF template_id, template_version_id ON pools"
    " WHEN NEW.template_version_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM"
    "  template_versions v WHERE v.id = NEW.template_version_id"
    "  AND v.template_id = NEW.template_id)"
    " BEGIN SELECT RAISE(ABORT, 'pinned template version belongs to another template'); END;"
    /* Names are case-insensitive like Windows accounts: NLA sends "Alice" for "alice". */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  display_name TEXT NOT NULL DEFAULT '',"
    "  password_hash TEXT NOT NULL DEFAULT '',"
    "  nt_hash_enc BLOB,"
    "  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
    "  failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),"
    "  locked_until INTEGER NOT NULL DEFAULT 0,"
    "  default_pool_id INTEGER REFERENCES pools(id) ON DELETE SET NULL,"
    "  created INTEGER NOT NULL"
    ");"
    "CREATE TABLE vms ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  pool_id INTEGER NOT NULL REFERENCES pools(id) ON DELETE RESTRICT,"
    "  template_version_id INTEGER NOT NULL REFERENCES template_versions(id)"
    "   ON DELETE RESTRICT,"
    "  state TEXT NOT NULL CHECK (state IN ('provisioning', 'stopped', 'starting', 'ready',"
    "   'assigned', 'in_use', 'disconnected', 'refreshing', 'stopping', 'error',"
    "   'deleting')),"
    /* The holder (pooled) or owner (personal). RESTRICT: SET NULL would hand a personal
     * disk with someone's data to the next user who asks. */
    "  assigned_user_id INTEGER REFERENCES users(id) ON DELETE RESTRICT,"
    "  rdp_port INTEGER NOT NULL DEFAULT 0 CHECK (rdp_port BETWEEN 0 AND 65535),"
    "  host TEXT NOT NULL DEFAULT 'local',"
    "  last_error TEXT NOT NULL DEFAULT '',"
    "  state_changed INTEGER NOT NULL,"
    "  created INTEGER NOT NULL"
    ");"
    "CREATE TABLE groups ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  created INTEGER NOT NULL"
    ");"
    "CREATE TABLE group_members ("
    "  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (group_id, user_id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE entitlements ("
    "  id INTEGER PRIMARY KEY,"
    "  pool_id INTEGER NOT NULL REFERENCES pools(id) ON DELETE CASCADE,"
    "  user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,"
    "  group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,"
    "  created INTEGER NOT NULL,"
    "  CHECK ((user_id IS NULL) <> (group_id IS NULL)),"
    "  UNIQUE (pool_id, user_id),"
    "  UNIQUE (pool_id, group_id)"
    ");"
    /* History stays when a VM row goes (vm_id SET NULL); a VM with a live session cannot go
     * (db_vm_delete checks). */
    "CREATE TABLE sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  vm_id INTEGER REFERENCES vms(id) ON DELETE SET NULL,"
    "  pool_id INTEGER NOT NULL REFERENCES pools(id) ON DELETE CASCADE,"
    "  state TEXT NOT NULL CHECK (state IN ('connected', 'disconnected', 'ended')),"
    "  started INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL,"
    "  disconnected_at INTEGER,"
    "  ended_at INTEGER,"
    "  bytes_in INTEGER NOT NULL DEFAULT 0,"
    "  bytes_out INTEGER NOT NULL DEFAULT 0,"
    "  client_addr TEXT NOT NULL DEFAULT '',"
    "  CHECK ((state = 'ended') = (ended_at IS NOT NULL))"
    ");"
    /* Never two users on one VM, never two live sessions of one user in one pool: the
     * database refuses it, whatever a bug upstream tries. */
    "CREATE UNIQUE INDEX sessions_live_vm ON sessions(vm_id) WHERE state <> 'ended';"
    "CREATE UNIQUE INDEX sessions_live_user_pool ON sessions(user_id, pool_id)"
    " WHERE state <> 'ended';"
    /* Only a hash of a token is stored: a copy of the database hands out no sessions. */
    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  hash TEXT NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('routing', 'api_session')),"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  vm_id INTEGER REFERENCES vms(id) ON DELETE CASCADE,"
    "  created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL,"
    "  used_at INTEGER"
    ");"
    "CREATE TABLE audit_events ("
    "  id INTEGER PRIMARY KEY,"
    "  ts INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  object TEXT NOT NULL,"
    "  detail TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))"
    ");";

/* Version 2: indexes for the hot queries (spare counts per pool and state, timeouts, the
 * audit tail, token expiry, a user's groups and entitlements). */
static const char indexes_v2[] =
    "CREATE INDEX vms_pool_state ON vms(pool_id, state);"
    "CREATE INDEX vms_assigned_user ON vms(assigned_user_id) WHERE assigned_user_id IS NOT NULL;"
    "CREATE INDEX sessions_state ON sessions(state, pool_id);"
    "CREATE INDEX audit_events_ts ON audit_events(ts);"
    "CREATE INDEX tokens_expires ON tokens(expires);"
    "CREATE INDEX group_members_user ON group_members(user_id);"
    "CREATE INDEX entitlements_user ON entitlements(user_id) WHERE user_id IS NOT NULL;"
    "CREATE INDEX entitlements_group ON entitlements(group_id) WHERE group_id IS NOT NULL;";

const struct migration migrations[] = {
    {"broker state: templates, pools, vms, users, groups, entitlements, sessions, tokens, "
     "audit events",
     schema_v1},
    {"indexes for spare counts, timeouts, the audit tail and entitlements", indexes_v2},
};

const int migrations_count = (int)(sizeof migrations / sizeof migrations[0]);
