-- Dokumente des Programms: the CM concept, templates, quality standards and the integration
-- concept. One row per version (Fassung): a new version is a new row naming its predecessor,
-- because acknowledgements and feedback belong to the exact version read and an adopted version
-- never changes. series_id is the id of a document's first version and groups its versions; it
-- carries no foreign key because the first version names itself (set in the transaction that
-- inserts it).
CREATE TABLE programme_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    series_id BIGINT NOT NULL,
    predecessor_id BIGINT REFERENCES programme_documents (id) ON DELETE RESTRICT,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    document_version INTEGER NOT NULL,
    body_text TEXT,
    attachment_url TEXT,
    status TEXT NOT NULL,
    decision_id BIGINT REFERENCES decisions (id) ON DELETE RESTRICT,
    adopted_at TIMESTAMP,
    superseded_at TIMESTAMP,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (series_id, document_version)
);
CREATE INDEX programme_documents_status ON programme_documents (status, kind);
CREATE INDEX programme_documents_decision ON programme_documents (decision_id);

-- "Gelesen und angewendet": a case manager's acknowledgement of an adopted version.
CREATE TABLE programme_document_acknowledgements (
    document_id BIGINT NOT NULL REFERENCES programme_documents (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    acknowledged_at TIMESTAMP NOT NULL,
    PRIMARY KEY (document_id, user_id)
);
CREATE INDEX programme_document_acknowledgements_user ON programme_document_acknowledgements (user_id);

-- Feedback on a version: from a case manager (recorded_by is the author), a body (body_id), or
-- clients (anonymous: the text, the date it was given and who recorded it, nothing about the
-- person).
CREATE TABLE programme_document_feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id BIGINT NOT NULL REFERENCES programme_documents (id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    body_id BIGINT REFERENCES bodies (id) ON DELETE RESTRICT,
    text TEXT NOT NULL,
    received_on DATE NOT NULL,
    recorded_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX programme_document_feedback_document ON programme_document_feedback (document_id);
CREATE INDEX programme_document_feedback_body ON programme_document_feedback (body_id);

-- The feedback a draft took up.
CREATE TABLE programme_document_feedback_taken (
    document_id BIGINT NOT NULL REFERENCES programme_documents (id) ON DELETE CASCADE,
    feedback_id BIGINT NOT NULL REFERENCES programme_document_feedback (id) ON DELETE CASCADE,
    PRIMARY KEY (document_id, feedback_id)
);
CREATE INDEX programme_document_feedback_taken_feedback ON programme_document_feedback_taken (feedback_id);
