DROP TABLE offer_residence_statuses;
DROP TABLE offer_languages;
DROP TABLE offer_municipalities;
DROP TABLE offer_target_groups;
DROP TABLE offer_topics;
DROP TABLE offers;
