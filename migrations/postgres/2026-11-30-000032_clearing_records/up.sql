-- Kompetenzerfassung (clearing record): what one client of a case brings along, each field
-- optional and minimal. One record per client and case; the lists are kept in order.
CREATE TABLE clearing_records (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id BIGINT NOT NULL,
    client_id BIGINT NOT NULL,
    schooling_years INTEGER,
    schooling_level TEXT,
    driving_licence BOOLEAN,
    driving_licence_classes TEXT,
    childcare_need BOOLEAN,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (case_id, client_id),
    FOREIGN KEY (case_id, client_id) REFERENCES case_clients (case_id, client_id) ON DELETE CASCADE,
    CHECK (schooling_years IS NULL OR (schooling_years >= 0 AND schooling_years <= 30))
);
CREATE INDEX clearing_records_client ON clearing_records (client_id);
CREATE INDEX clearing_records_created ON clearing_records (created_at);

CREATE TABLE clearing_languages (
    record_id BIGINT NOT NULL REFERENCES clearing_records (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    language TEXT NOT NULL,
    level TEXT NOT NULL,
    PRIMARY KEY (record_id, position)
);

CREATE TABLE clearing_qualifications (
    record_id BIGINT NOT NULL REFERENCES clearing_records (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    recognition TEXT NOT NULL,
    PRIMARY KEY (record_id, position)
);

CREATE TABLE clearing_work_experience (
    record_id BIGINT NOT NULL REFERENCES clearing_records (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    field TEXT NOT NULL,
    years INTEGER NOT NULL,
    PRIMARY KEY (record_id, position),
    CHECK (years >= 0 AND years <= 60)
);
