-- Bodies (Gremien): steering group, project groups, working groups, network meetings.
CREATE TABLE bodies (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL UNIQUE,
    purpose TEXT,
    topic TEXT,
    active_from DATE,
    active_until DATE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- A local project group is bound to municipalities.
CREATE TABLE body_municipalities (
    body_id BIGINT NOT NULL REFERENCES bodies (id) ON DELETE CASCADE,
    municipality_id BIGINT NOT NULL REFERENCES municipalities (id) ON DELETE RESTRICT,
    PRIMARY KEY (body_id, municipality_id)
);

-- Members are people (users) or organisations, each with their function in the body.
CREATE TABLE body_members (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body_id BIGINT NOT NULL REFERENCES bodies (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    organisation_id BIGINT REFERENCES organisations (id) ON DELETE RESTRICT,
    function TEXT NOT NULL,
    CHECK (user_id IS NOT NULL OR organisation_id IS NOT NULL)
);
CREATE INDEX body_members_body ON body_members (body_id);
CREATE INDEX body_members_user ON body_members (user_id);

CREATE TABLE meetings (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body_id BIGINT NOT NULL REFERENCES bodies (id) ON DELETE RESTRICT,
    held_on DATE NOT NULL,
    title TEXT NOT NULL,
    minutes TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX meetings_body ON meetings (body_id, held_on);

CREATE TABLE meeting_attendees (
    meeting_id BIGINT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (meeting_id, user_id)
);

-- Systematic gaps (systematische Lücken). Legal domains: comma-separated; target groups: JSON.
CREATE TABLE gaps (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    topic TEXT NOT NULL,
    legal_domains TEXT NOT NULL DEFAULT '',
    target_groups TEXT NOT NULL DEFAULT '[]',
    stage TEXT NOT NULL,
    stage_since TIMESTAMP NOT NULL,
    merged_into_id BIGINT REFERENCES gaps (id) ON DELETE RESTRICT,
    publicity TEXT,
    publicity_text TEXT,
    outcome TEXT,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX gaps_stage ON gaps (stage);
CREATE INDEX gaps_topic ON gaps (topic);

CREATE TABLE gap_municipalities (
    gap_id BIGINT NOT NULL REFERENCES gaps (id) ON DELETE CASCADE,
    municipality_id BIGINT NOT NULL REFERENCES municipalities (id) ON DELETE RESTRICT,
    PRIMARY KEY (gap_id, municipality_id)
);

CREATE TABLE gap_organisations (
    gap_id BIGINT NOT NULL REFERENCES gaps (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    PRIMARY KEY (gap_id, organisation_id)
);

-- Evidence: who reported, from which position, when, what. Merging moves reports to the survivor.
CREATE TABLE gap_reports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gap_id BIGINT NOT NULL REFERENCES gaps (id) ON DELETE CASCADE,
    reported_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    position_id BIGINT REFERENCES positions (id) ON DELETE SET NULL,
    reported_on DATE NOT NULL,
    text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX gap_reports_gap ON gap_reports (gap_id);

-- Cases a report points to; shown to anyone but the reporter only as a count.
CREATE TABLE gap_report_cases (
    report_id BIGINT NOT NULL REFERENCES gap_reports (id) ON DELETE CASCADE,
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    PRIMARY KEY (report_id, case_id)
);

-- Every step of the process, append-only. Payload: JSON of what the step brought along.
CREATE TABLE gap_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gap_id BIGINT NOT NULL REFERENCES gaps (id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    from_stage TEXT,
    to_stage TEXT NOT NULL,
    actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor_role TEXT,
    occurred_at TIMESTAMP NOT NULL,
    comment TEXT,
    payload TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX gap_events_gap ON gap_events (gap_id, occurred_at);

-- Decisions of a meeting: free, or a step of the gap process taken by the steering group.
CREATE TABLE decisions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meeting_id BIGINT NOT NULL REFERENCES meetings (id) ON DELETE RESTRICT,
    gap_id BIGINT REFERENCES gaps (id) ON DELETE RESTRICT,
    text TEXT NOT NULL,
    outcome TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX decisions_meeting ON decisions (meeting_id);
CREATE INDEX decisions_gap ON decisions (gap_id);

-- Agenda items: free, or linked to a gap.
CREATE TABLE agenda_items (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meeting_id BIGINT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    gap_id BIGINT REFERENCES gaps (id) ON DELETE RESTRICT
);
CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id);

CREATE TABLE gap_mandates (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gap_id BIGINT NOT NULL REFERENCES gaps (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    due_on DATE NOT NULL,
    decision_id BIGINT NOT NULL REFERENCES decisions (id) ON DELETE RESTRICT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX gap_mandates_gap ON gap_mandates (gap_id);

CREATE TABLE gap_mandate_groups (
    mandate_id BIGINT NOT NULL REFERENCES gap_mandates (id) ON DELETE CASCADE,
    body_id BIGINT NOT NULL REFERENCES bodies (id) ON DELETE RESTRICT,
    PRIMARY KEY (mandate_id, body_id)
);
CREATE INDEX gap_mandate_groups_body ON gap_mandate_groups (body_id);

-- Solution approaches; accepted is NULL until the steering group decided on them.
CREATE TABLE gap_solutions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gap_id BIGINT NOT NULL REFERENCES gaps (id) ON DELETE CASCADE,
    body_id BIGINT REFERENCES bodies (id) ON DELETE SET NULL,
    text TEXT NOT NULL,
    responsible_actors TEXT NOT NULL,
    estimate TEXT NOT NULL,
    accepted BOOLEAN,
    proposed_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX gap_solutions_gap ON gap_solutions (gap_id);

-- Case managers' acknowledgements (one per person) and feedback on the applied solutions.
CREATE TABLE gap_acknowledgements (
    gap_id BIGINT NOT NULL REFERENCES gaps (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    acknowledged_at TIMESTAMP NOT NULL,
    PRIMARY KEY (gap_id, user_id)
);

CREATE TABLE gap_feedback (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gap_id BIGINT NOT NULL REFERENCES gaps (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    rating TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX gap_feedback_gap ON gap_feedback (gap_id);
