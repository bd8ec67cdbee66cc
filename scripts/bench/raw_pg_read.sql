-- The raw-statement limit of GET /cases/{id} on PostgreSQL (issue 13), for pgbench: the case,
-- its clients and one audit event, one transaction per request. :max_case is set by casework.sh.
\set id random(1, :max_case)
BEGIN;
SELECT * FROM cases WHERE id = :id;
SELECT client_id FROM case_clients WHERE case_id = :id;
INSERT INTO audit_events (occurred_at, actor_kind, actor_id, actor_role, action, object_type, object_id, request_id)
  VALUES (LOCALTIMESTAMP, 'user', 1, 'case_manager', 'case.read', 'case', CAST(:id AS text), 'raw');
COMMIT;
