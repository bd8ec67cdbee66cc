DROP INDEX audit_events_actor_kind;
DROP INDEX referrals_status;
DROP INDEX clients_created_by;
DROP INDEX clients_municipality;
DROP INDEX cases_eligible;
DROP INDEX cases_target_group;
DROP INDEX cases_status_since;
DROP INDEX cases_municipality_status_opened;
