-- Indexes for the filters and sorts the work lists and lists offer (issue 13), beside those the
-- reports added (cases_opened_on, cases_closed, cases_municipality, case_legal_domains_domain).
-- The CM coordination's "active cases of a municipality, newest first":
CREATE INDEX cases_municipality_status_opened ON cases (municipality_id, status, opened_on);
-- /me/cases and ?sort=status_since:
CREATE INDEX cases_status_since ON cases (status_since);
CREATE INDEX cases_target_group ON cases (target_group);
CREATE INDEX cases_eligible ON cases (eligible);
CREATE INDEX clients_municipality ON clients (municipality_id);
CREATE INDEX clients_created_by ON clients (created_by);
CREATE INDEX referrals_status ON referrals (status);
CREATE INDEX audit_events_actor_kind ON audit_events (actor_kind, id);
