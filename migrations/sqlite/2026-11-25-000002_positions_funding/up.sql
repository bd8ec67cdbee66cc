CREATE TABLE positions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL UNIQUE,
    module TEXT NOT NULL,
    function TEXT NOT NULL,
    fte_hundredths BIGINT NOT NULL,
    funded BOOLEAN NOT NULL DEFAULT TRUE,
    employer_organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    placement_organisation_id BIGINT REFERENCES organisations (id) ON DELETE RESTRICT,
    rhine_side TEXT,
    region TEXT,
    thematic_focus TEXT,
    holder_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    phase TEXT NOT NULL,
    phase_since DATE NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX positions_module ON positions (module);
CREATE INDEX positions_holder ON positions (holder_user_id);

-- Municipalities a position serves, with the share of its FTE each gets.
CREATE TABLE position_municipalities (
    position_id BIGINT NOT NULL REFERENCES positions (id) ON DELETE CASCADE,
    municipality_id BIGINT NOT NULL REFERENCES municipalities (id) ON DELETE RESTRICT,
    fte_hundredths BIGINT NOT NULL,
    PRIMARY KEY (position_id, municipality_id)
);
CREATE INDEX position_municipalities_municipality ON position_municipalities (municipality_id);

-- Every change of a position, dated, with who made it. Append-only.
CREATE TABLE position_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    position_id BIGINT NOT NULL REFERENCES positions (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    from_phase TEXT,
    to_phase TEXT,
    effective_on DATE NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_id BIGINT,
    comment TEXT
);
CREATE INDEX position_events_position ON position_events (position_id, effective_on);

-- Funding rates by year, module and item, e.g. 2023 / module_1 / staff: 5,700,000 cents per FTE.
CREATE TABLE funding_rates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    year INTEGER NOT NULL,
    module TEXT NOT NULL,
    item TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    basis TEXT NOT NULL,
    note TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (year, module, item)
);
