-- Kooperationsvereinbarungen (cooperation agreements) between the county (KI) and a partner
-- organisation and/or municipality. The status rules live in kim_domain::agreement.
CREATE TABLE agreements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    organisation_id BIGINT REFERENCES organisations (id) ON DELETE RESTRICT,
    municipality_id BIGINT REFERENCES municipalities (id) ON DELETE RESTRICT,
    service_supervision TEXT NOT NULL DEFAULT 'KI',
    technical_supervision TEXT NOT NULL DEFAULT 'KI',
    subject TEXT,
    obligations TEXT,
    signed_on DATE,
    starts_on DATE,
    ends_on DATE,
    document_name TEXT,
    document_url TEXT,
    document_file_id TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX agreements_status_ends_on ON agreements (status, ends_on);
CREATE INDEX agreements_organisation ON agreements (organisation_id);
CREATE INDEX agreements_municipality ON agreements (municipality_id);

-- The KIM modules an agreement covers.
CREATE TABLE agreement_modules (
    agreement_id BIGINT NOT NULL REFERENCES agreements (id) ON DELETE CASCADE,
    module TEXT NOT NULL,
    PRIMARY KEY (agreement_id, module)
);

-- The positions an agreement covers. A deleted position leaves the agreements it was in.
CREATE TABLE agreement_positions (
    agreement_id BIGINT NOT NULL REFERENCES agreements (id) ON DELETE CASCADE,
    position_id BIGINT NOT NULL REFERENCES positions (id) ON DELETE CASCADE,
    PRIMARY KEY (agreement_id, position_id)
);
CREATE INDEX agreement_positions_position ON agreement_positions (position_id);

-- Every creation, update and status change, with who made it and when. Append-only.
CREATE TABLE agreement_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agreement_id BIGINT NOT NULL REFERENCES agreements (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    changed_fields TEXT NOT NULL DEFAULT '',
    comment TEXT,
    actor_id BIGINT,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX agreement_events_agreement ON agreement_events (agreement_id, id);
