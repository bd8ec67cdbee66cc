DELETE FROM retention_rules WHERE record_type = 'declined_intake_requests';
DROP TABLE intake_requests;
