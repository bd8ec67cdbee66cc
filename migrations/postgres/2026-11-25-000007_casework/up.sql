-- Help plan (Hilfeplan): goals of a case and their dated progress notes.
CREATE TABLE goals (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    topic TEXT NOT NULL,
    target_on DATE,
    status TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX goals_case ON goals (case_id);

-- Progress notes are appended, never edited: each carries its date and author.
CREATE TABLE goal_notes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    goal_id BIGINT NOT NULL REFERENCES goals (id) ON DELETE CASCADE,
    noted_on DATE NOT NULL,
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX goal_notes_goal ON goal_notes (goal_id);

-- Documented contacts with the clients of a case. Participants are a JSON array of names/roles.
CREATE TABLE contacts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    occurred_on DATE NOT NULL,
    kind TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    participants TEXT NOT NULL DEFAULT '[]',
    note TEXT,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX contacts_case ON contacts (case_id);

-- Residence-law requests to module 3. Shared categories are comma-separated.
CREATE TABLE residence_requests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE RESTRICT,
    client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE RESTRICT,
    office_organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    question TEXT NOT NULL,
    shared_categories TEXT NOT NULL,
    status TEXT NOT NULL,
    answer TEXT,
    answered_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    answered_at TIMESTAMP,
    note TEXT,
    asked_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX residence_requests_case ON residence_requests (case_id);
CREATE INDEX residence_requests_office ON residence_requests (office_organisation_id);

-- Case conferences (Fallkonferenzen); without a case they are anonymised and carry a summary.
CREATE TABLE conferences (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT REFERENCES cases (id) ON DELETE RESTRICT,
    held_on DATE NOT NULL,
    summary TEXT,
    outcome TEXT,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX conferences_case ON conferences (case_id);

CREATE TABLE conference_organisations (
    conference_id BIGINT NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE RESTRICT,
    PRIMARY KEY (conference_id, organisation_id)
);

CREATE TABLE conference_users (
    conference_id BIGINT NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    PRIMARY KEY (conference_id, user_id)
);

CREATE TABLE conference_tasks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conference_id BIGINT NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    owner_user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    due_on DATE NOT NULL
);
CREATE INDEX conference_tasks_conference ON conference_tasks (conference_id);
CREATE INDEX conference_tasks_owner ON conference_tasks (owner_user_id);
