-- Angebote (offers) of the county's actors. The multi-valued attributes live in child tables,
-- one row per value, so that the list filters (topic, target group, municipality, language)
-- are indexed lookups on both databases. The rules live in kim_domain::offer.
CREATE TABLE offers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    title TEXT NOT NULL,
    description TEXT,
    -- Kreisweit: serves every municipality; offer_municipalities is then empty.
    county_wide BOOLEAN NOT NULL,
    min_age INTEGER,
    max_age INTEGER,
    access TEXT NOT NULL,
    capacity_per_month INTEGER,
    active_from DATE,
    active_until DATE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (capacity_per_month IS NULL OR capacity_per_month >= 0),
    CHECK (min_age IS NULL OR max_age IS NULL OR min_age <= max_age),
    CHECK (active_from IS NULL OR active_until IS NULL OR active_from <= active_until)
);
CREATE INDEX offers_organisation ON offers (organisation_id);
CREATE INDEX offers_active ON offers (active_from, active_until);

CREATE TABLE offer_topics (
    offer_id BIGINT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    PRIMARY KEY (offer_id, topic)
);
CREATE INDEX offer_topics_topic ON offer_topics (topic, offer_id);

CREATE TABLE offer_target_groups (
    offer_id BIGINT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    target_group TEXT NOT NULL,
    PRIMARY KEY (offer_id, target_group)
);
CREATE INDEX offer_target_groups_group ON offer_target_groups (target_group, offer_id);

-- A municipality served by offers cannot be deleted (RESTRICT): the offers must move first.
CREATE TABLE offer_municipalities (
    offer_id BIGINT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    municipality_id BIGINT NOT NULL REFERENCES municipalities (id) ON DELETE RESTRICT,
    PRIMARY KEY (offer_id, municipality_id)
);
CREATE INDEX offer_municipalities_municipality ON offer_municipalities (municipality_id, offer_id);

-- ISO 639-1 codes.
CREATE TABLE offer_languages (
    offer_id BIGINT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    PRIMARY KEY (offer_id, language)
);
CREATE INDEX offer_languages_language ON offer_languages (language, offer_id);

-- Eligibility by residence status (kim_domain::client::ResidenceStatus); none: open to all.
CREATE TABLE offer_residence_statuses (
    offer_id BIGINT NOT NULL REFERENCES offers (id) ON DELETE CASCADE,
    residence_status TEXT NOT NULL,
    PRIMARY KEY (offer_id, residence_status)
);
