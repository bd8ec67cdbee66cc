-- Öffentlichkeitsarbeit und Berichte an Gremien: press releases, events, web articles and
-- reports to committees, the mayors' conference and the heads of office, with the gaps and
-- decisions whose publicity allowed them.
CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    held_on DATE NOT NULL,
    audience TEXT,
    body_id BIGINT REFERENCES bodies (id) ON DELETE RESTRICT,
    committee TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX activities_held_on ON activities (held_on, kind);
CREATE INDEX activities_body ON activities (body_id);

CREATE TABLE activity_gaps (
    activity_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    gap_id BIGINT NOT NULL REFERENCES gaps (id) ON DELETE RESTRICT,
    PRIMARY KEY (activity_id, gap_id)
);
CREATE INDEX activity_gaps_gap ON activity_gaps (gap_id);

CREATE TABLE activity_decisions (
    activity_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    decision_id BIGINT NOT NULL REFERENCES decisions (id) ON DELETE RESTRICT,
    PRIMARY KEY (activity_id, decision_id)
);
CREATE INDEX activity_decisions_decision ON activity_decisions (decision_id);

-- Module 3 outcomes: counts per immigration or naturalisation office and quarter, entered by the
-- office's staff. No persons.
CREATE TABLE office_outcomes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL,
    information_events BIGINT NOT NULL,
    event_attendance BIGINT NOT NULL,
    counselling_sessions BIGINT NOT NULL,
    naturalisations_initiated BIGINT NOT NULL,
    naturalisations_completed BIGINT NOT NULL,
    residence_secured BIGINT NOT NULL,
    opportunity_residence_procedures BIGINT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (organisation_id, year, quarter),
    CHECK (quarter BETWEEN 1 AND 4)
);
CREATE INDEX office_outcomes_year ON office_outcomes (year);
