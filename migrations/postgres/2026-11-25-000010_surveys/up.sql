-- Needs survey (Bedarfsabfrage): versioned questionnaires, campaigns with respondent slots,
-- one response per slot with its history, and the weights of the need score.

CREATE TABLE questionnaires (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title TEXT NOT NULL UNIQUE,
    description TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- A version is frozen once a campaign uses it (derived: a campaign row refers to it).
CREATE TABLE questionnaire_versions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    questionnaire_id BIGINT NOT NULL REFERENCES questionnaires (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (questionnaire_id, number)
);

CREATE TABLE questionnaire_sections (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    questionnaire_version_id BIGINT NOT NULL REFERENCES questionnaire_versions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    UNIQUE (questionnaire_version_id, position)
);

-- options: JSON list of {value, label} (choice questions only).
CREATE TABLE questionnaire_questions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    section_id BIGINT NOT NULL REFERENCES questionnaire_sections (id) ON DELETE CASCADE,
    questionnaire_version_id BIGINT NOT NULL REFERENCES questionnaire_versions (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    help_text TEXT,
    required BOOLEAN NOT NULL,
    options TEXT NOT NULL,
    min_value DOUBLE PRECISION,
    max_value DOUBLE PRECISION,
    UNIQUE (questionnaire_version_id, question_key)
);
CREATE INDEX questionnaire_questions_section ON questionnaire_questions (section_id, position);

CREATE TABLE survey_campaigns (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    questionnaire_version_id BIGINT NOT NULL REFERENCES questionnaire_versions (id) ON DELETE RESTRICT,
    title TEXT NOT NULL UNIQUE,
    description TEXT,
    opens_on DATE NOT NULL,
    closes_on DATE NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (closes_on >= opens_on)
);
CREATE INDEX survey_campaigns_version ON survey_campaigns (questionnaire_version_id);

-- One slot per municipality or organisation and campaign, with its one response (1:1, so the
-- status of every respondent is a plain read).
CREATE TABLE survey_respondents (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES survey_campaigns (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    municipality_id BIGINT REFERENCES municipalities (id) ON DELETE RESTRICT,
    organisation_id BIGINT REFERENCES organisations (id) ON DELETE RESTRICT,
    respondent_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (campaign_id, municipality_id),
    UNIQUE (campaign_id, organisation_id),
    CHECK ((municipality_id IS NULL) <> (organisation_id IS NULL))
);
CREATE INDEX survey_respondents_user ON survey_respondents (respondent_user_id);
CREATE INDEX survey_respondents_organisation ON survey_respondents (organisation_id);

-- answers: JSON object question_key -> value, only answered questions.
CREATE TABLE survey_responses (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    respondent_id BIGINT NOT NULL UNIQUE REFERENCES survey_respondents (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    answers TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    submitted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- History of a response: saved first, submitted, reopened (with reason), by whom.
CREATE TABLE survey_response_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    response_id BIGINT NOT NULL REFERENCES survey_responses (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id BIGINT,
    reason TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX survey_response_events_response ON survey_response_events (response_id, id);

CREATE TABLE survey_need_weights (
    campaign_id BIGINT NOT NULL REFERENCES survey_campaigns (id) ON DELETE CASCADE,
    question_key TEXT NOT NULL,
    weight DOUBLE PRECISION NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, question_key)
);
