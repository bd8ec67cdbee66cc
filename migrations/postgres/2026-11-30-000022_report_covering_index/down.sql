DROP INDEX cases_report;
