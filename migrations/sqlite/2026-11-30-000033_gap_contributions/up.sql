-- Externe Mitwirkung: what member organisations of a mandated project group send through their
-- own systems (partner tokens with scope gaps:contribute): proposed solutions and feedback. A
-- contribution never moves the gap; the group's people use it in their own step.
CREATE TABLE gap_contributions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    gap_id BIGINT NOT NULL REFERENCES gaps (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    project_group_id BIGINT NOT NULL REFERENCES bodies (id) ON DELETE RESTRICT,
    partner_token_id BIGINT REFERENCES partner_tokens (id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    rating TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX gap_contributions_gap ON gap_contributions (gap_id, id);
CREATE INDEX gap_contributions_organisation ON gap_contributions (organisation_id);
CREATE INDEX body_members_organisation ON body_members (organisation_id);
