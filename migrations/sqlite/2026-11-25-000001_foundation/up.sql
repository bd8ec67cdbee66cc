CREATE TABLE municipalities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    rhine_side TEXT NOT NULL,
    has_immigration_office BOOLEAN NOT NULL DEFAULT FALSE,
    has_youth_office BOOLEAN NOT NULL DEFAULT FALSE,
    has_integration_council BOOLEAN NOT NULL DEFAULT FALSE,
    social_area TEXT,
    population BIGINT,
    foreign_nationals_percent DOUBLE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    address TEXT,
    website TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX organisations_kind ON organisations (kind);

CREATE TABLE organisation_legal_domains (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    legal_domain TEXT NOT NULL,
    PRIMARY KEY (organisation_id, legal_domain)
);
CREATE INDEX organisation_legal_domains_domain ON organisation_legal_domains (legal_domain);

CREATE TABLE organisation_municipalities (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    municipality_id BIGINT NOT NULL REFERENCES municipalities (id) ON DELETE RESTRICT,
    PRIMARY KEY (organisation_id, municipality_id)
);
CREATE INDEX organisation_municipalities_municipality ON organisation_municipalities (municipality_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    organisation_id BIGINT REFERENCES organisations (id) ON DELETE RESTRICT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_organisation ON users (organisation_id);

CREATE TABLE partner_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    scopes TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    token_prefix TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by BIGINT,
    revoked_at TIMESTAMP,
    revoked_by BIGINT
);
CREATE INDEX partner_tokens_organisation ON partner_tokens (organisation_id);

CREATE TABLE login_failures (
    username TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until TIMESTAMP
);

-- Append-only: the application never updates or deletes audit events.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TIMESTAMP NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id BIGINT,
    actor_role TEXT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT,
    request_id TEXT
);
CREATE INDEX audit_events_object ON audit_events (object_type, object_id);
