-- Planung (roadmap): items of four workstreams with planned periods stored as dates. A
-- half-year given by the client is stored as its first day (start) or last day (end).
CREATE TABLE roadmap_items (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workstream TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    planned_start DATE NOT NULL,
    planned_end DATE NOT NULL,
    status TEXT NOT NULL,
    responsible_organisation_id BIGINT REFERENCES organisations (id) ON DELETE RESTRICT,
    responsible_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (workstream, title),
    CHECK (planned_end >= planned_start)
);
CREATE INDEX roadmap_items_gantt ON roadmap_items (workstream, planned_start);
CREATE INDEX roadmap_items_organisation ON roadmap_items (responsible_organisation_id);
CREATE INDEX roadmap_items_user ON roadmap_items (responsible_user_id);

-- item_id depends on depends_on_id. An item still depended on cannot be deleted.
CREATE TABLE roadmap_item_dependencies (
    item_id BIGINT NOT NULL REFERENCES roadmap_items (id) ON DELETE CASCADE,
    depends_on_id BIGINT NOT NULL REFERENCES roadmap_items (id) ON DELETE RESTRICT,
    PRIMARY KEY (item_id, depends_on_id),
    CHECK (item_id <> depends_on_id)
);
CREATE INDEX roadmap_item_dependencies_depends_on ON roadmap_item_dependencies (depends_on_id);
