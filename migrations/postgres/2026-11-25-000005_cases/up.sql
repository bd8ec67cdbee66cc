-- Clients (people served): minimal by design; every personal field optional but the reference
-- and the municipality. The owning organisation is the case manager's employer.
CREATE TABLE clients (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    given_name TEXT,
    family_name TEXT,
    birth_year INTEGER,
    gender TEXT,
    languages TEXT NOT NULL DEFAULT '',
    country_of_origin TEXT,
    residence_status TEXT,
    municipality_id BIGINT NOT NULL REFERENCES municipalities (id) ON DELETE RESTRICT,
    organisation_id BIGINT REFERENCES organisations (id) ON DELETE RESTRICT,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE client_links (
    from_client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    to_client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    PRIMARY KEY (from_client_id, to_client_id, kind)
);
CREATE INDEX client_links_to ON client_links (to_client_id);

CREATE TABLE cases (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE RESTRICT,
    assigned_user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    deputy_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    municipality_id BIGINT NOT NULL REFERENCES municipalities (id) ON DELETE RESTRICT,
    target_group TEXT NOT NULL,
    intake_channel TEXT NOT NULL,
    referred_by_organisation_id BIGINT REFERENCES organisations (id) ON DELETE RESTRICT,
    arrived_on DATE,
    other_case_management TEXT NOT NULL DEFAULT '',
    eligible BOOLEAN NOT NULL,
    eligibility_justification TEXT,
    status TEXT NOT NULL,
    status_since DATE NOT NULL,
    close_reason TEXT,
    opened_on DATE NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX cases_assigned ON cases (assigned_user_id);
CREATE INDEX cases_deputy ON cases (deputy_user_id);
CREATE INDEX cases_status ON cases (status);

CREATE TABLE case_clients (
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE RESTRICT,
    PRIMARY KEY (case_id, client_id)
);
CREATE INDEX case_clients_client ON case_clients (client_id);

CREATE TABLE case_legal_domains (
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    legal_domain TEXT NOT NULL,
    PRIMARY KEY (case_id, legal_domain)
);

CREATE TABLE case_topics (
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    PRIMARY KEY (case_id, topic)
);

-- Every status change and reassignment of a case, dated, with its actor. Append-only.
CREATE TABLE case_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    close_reason TEXT,
    reason TEXT,
    occurred_on DATE NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_id BIGINT
);
CREATE INDEX case_events_case ON case_events (case_id);

ALTER TABLE audit_events ADD COLUMN client_reference TEXT;
CREATE INDEX audit_events_client ON audit_events (client_reference);
CREATE INDEX audit_events_actor ON audit_events (actor_id);
CREATE INDEX audit_events_occurred ON audit_events (occurred_at);
