DROP TABLE clearing_work_experience;
DROP TABLE clearing_qualifications;
DROP TABLE clearing_languages;
DROP TABLE clearing_records;
