-- Intake rules (Aufnahmekriterien) as data: the county's default rule (scope 'default', no
-- municipality, no target group) and local rules per municipality ('municipality') or per
-- municipality and the case's target group ('municipality_target_group'). The most specific
-- rule covering a case judges it when it is opened. The default rule is written on the first
-- start from KIM_INTAKE_MAX_YEARS_SINCE_ARRIVAL and KIM_INTAKE_EXCLUDE_OTHER_CASE_MANAGEMENT.
CREATE TABLE intake_rules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    municipality_id BIGINT REFERENCES municipalities (id) ON DELETE CASCADE,
    target_group TEXT,
    max_years_since_arrival INTEGER NOT NULL,
    exclude_other_case_management BOOLEAN NOT NULL,
    note TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (scope IN ('default', 'municipality', 'municipality_target_group')),
    CHECK ((scope = 'default') = (municipality_id IS NULL)),
    CHECK ((scope = 'municipality_target_group') = (target_group IS NOT NULL)),
    CHECK (max_years_since_arrival >= 1)
);
-- One rule per scope: one default, one per municipality, one per municipality and target group.
CREATE UNIQUE INDEX intake_rules_one_default ON intake_rules (scope) WHERE scope = 'default';
CREATE UNIQUE INDEX intake_rules_municipality ON intake_rules (municipality_id) WHERE scope = 'municipality';
CREATE UNIQUE INDEX intake_rules_municipality_group ON intake_rules (municipality_id, target_group) WHERE scope = 'municipality_target_group';
