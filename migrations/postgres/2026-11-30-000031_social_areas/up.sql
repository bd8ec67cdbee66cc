-- Social areas (Sozialräume): named areas covering whole municipalities or named parts of them
-- (district ''), a place in one area at most; positions name the areas they serve. They
-- supersede the free-text municipalities.social_area, which stays readable as written.
CREATE TABLE social_areas (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- district: '' for the whole municipality, else the part's name (Stadtteil, Ortsteil).
CREATE TABLE social_area_parts (
    social_area_id BIGINT NOT NULL REFERENCES social_areas (id) ON DELETE CASCADE,
    municipality_id BIGINT NOT NULL REFERENCES municipalities (id) ON DELETE CASCADE,
    district TEXT NOT NULL,
    PRIMARY KEY (social_area_id, municipality_id, district)
);
CREATE UNIQUE INDEX social_area_parts_place ON social_area_parts (municipality_id, district);

CREATE TABLE position_social_areas (
    position_id BIGINT NOT NULL REFERENCES positions (id) ON DELETE CASCADE,
    social_area_id BIGINT NOT NULL REFERENCES social_areas (id) ON DELETE CASCADE,
    PRIMARY KEY (position_id, social_area_id)
);
CREATE INDEX position_social_areas_area ON position_social_areas (social_area_id);

-- The free text becomes areas: one per distinct value, covering its municipalities whole.
INSERT INTO social_areas (name, description, version, created_at, updated_at)
SELECT DISTINCT TRIM(social_area), 'From the free-text social_area of the municipalities', 1, (CURRENT_TIMESTAMP AT TIME ZONE 'UTC'), (CURRENT_TIMESTAMP AT TIME ZONE 'UTC')
FROM municipalities
WHERE social_area IS NOT NULL AND TRIM(social_area) <> '';
INSERT INTO social_area_parts (social_area_id, municipality_id, district)
SELECT s.id, m.id, ''
FROM municipalities m JOIN social_areas s ON s.name = TRIM(m.social_area);
