-- Session revocation (issue 10 item 3): access tokens carry the account's token version; a
-- password change or reset, deactivation, a role or organisation change and a logout raise it,
-- so every token issued before is refused. An administrator's reset makes the account set its
-- own password before anything else (item 2).
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT 0;
