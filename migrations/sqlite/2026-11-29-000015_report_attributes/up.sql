-- Statistical attributes of a client, frozen per case membership when the client joins a case
-- (issue 12): the people report groups by these, never by the client record, so that erasing or
-- anonymising a client later leaves past report figures unchanged. Age band is the age in the
-- year the case was opened (0-5, 6-17, 18-26, 27-44, 45-64, 65+).
ALTER TABLE case_clients ADD COLUMN age_band TEXT;
ALTER TABLE case_clients ADD COLUMN gender TEXT;
ALTER TABLE case_clients ADD COLUMN country_of_origin TEXT;
ALTER TABLE case_clients ADD COLUMN residence_status TEXT;

-- Backfill from the clients as they are now (the best knowledge there is for existing cases).
UPDATE case_clients SET
    gender = (SELECT c.gender FROM clients c WHERE c.id = case_clients.client_id),
    country_of_origin = (SELECT c.country_of_origin FROM clients c WHERE c.id = case_clients.client_id),
    residence_status = (SELECT c.residence_status FROM clients c WHERE c.id = case_clients.client_id),
    age_band = (
        SELECT CASE
            WHEN c.birth_year IS NULL THEN NULL
            WHEN CAST(strftime('%Y', k.opened_on) AS INTEGER) - c.birth_year <= 5 THEN '0-5'
            WHEN CAST(strftime('%Y', k.opened_on) AS INTEGER) - c.birth_year <= 17 THEN '6-17'
            WHEN CAST(strftime('%Y', k.opened_on) AS INTEGER) - c.birth_year <= 26 THEN '18-26'
            WHEN CAST(strftime('%Y', k.opened_on) AS INTEGER) - c.birth_year <= 44 THEN '27-44'
            WHEN CAST(strftime('%Y', k.opened_on) AS INTEGER) - c.birth_year <= 64 THEN '45-64'
            ELSE '65+'
        END
        FROM clients c JOIN cases k ON k.id = case_clients.case_id
        WHERE c.id = case_clients.client_id
    );

-- Report queries select cases by period and group them in the database.
CREATE INDEX cases_opened_on ON cases (opened_on, municipality_id);
CREATE INDEX cases_closed ON cases (status, status_since);
CREATE INDEX cases_municipality ON cases (municipality_id);
CREATE INDEX case_topics_topic ON case_topics (topic, case_id);
CREATE INDEX case_legal_domains_domain ON case_legal_domains (legal_domain, case_id);
CREATE INDEX goals_topic ON goals (topic, status);
CREATE INDEX referrals_sent ON referrals (sent_at);
CREATE INDEX referral_events_answer ON referral_events (referral_id, to_status, occurred_at);
