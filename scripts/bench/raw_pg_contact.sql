-- The raw-statement limit of POST /cases/{id}/contacts on PostgreSQL (issue 13), for pgbench:
-- a contact and its audit event, one transaction per request.
\set id random(1, :max_case)
BEGIN;
INSERT INTO contacts (case_id, occurred_on, kind, duration_minutes, participants, version, created_at, updated_at)
  VALUES (:id, CURRENT_DATE, 'phone', 15, '[]', 1, LOCALTIMESTAMP, LOCALTIMESTAMP);
INSERT INTO audit_events (occurred_at, actor_kind, actor_id, actor_role, action, object_type, object_id, request_id)
  VALUES (LOCALTIMESTAMP, 'user', 1, 'case_manager', 'contact.create', 'contact', currval('contacts_id_seq')::text, 'raw');
COMMIT;
