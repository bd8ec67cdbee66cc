DROP TABLE course_participations;
DROP TABLE course_functions;
DROP TABLE courses;
