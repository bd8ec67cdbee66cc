DROP TABLE position_social_areas;
DROP TABLE social_area_parts;
DROP TABLE social_areas;
