-- Qualifizierung: the course catalogue, the functions each course is mandatory for, and who took
-- which course (a member of staff, or a position whoever holds it).
CREATE TABLE courses (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title TEXT NOT NULL UNIQUE,
    provider TEXT NOT NULL,
    topic TEXT NOT NULL,
    hours INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (hours > 0)
);

CREATE TABLE course_functions (
    course_id BIGINT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    function TEXT NOT NULL,
    PRIMARY KEY (course_id, function)
);
CREATE INDEX course_functions_function ON course_functions (function);

CREATE TABLE course_participations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id BIGINT NOT NULL REFERENCES courses (id) ON DELETE RESTRICT,
    user_id BIGINT REFERENCES users (id) ON DELETE RESTRICT,
    position_id BIGINT REFERENCES positions (id) ON DELETE RESTRICT,
    attended_on DATE NOT NULL,
    completed BOOLEAN NOT NULL,
    certificate BOOLEAN NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((user_id IS NULL) <> (position_id IS NULL))
);
CREATE INDEX course_participations_course ON course_participations (course_id, completed);
CREATE INDEX course_participations_user ON course_participations (user_id);
CREATE INDEX course_participations_position ON course_participations (position_id);
