-- 0006_user_scopes.sql -- user administration (DESIGN §7–§8 "Users"):
-- the scholarships each admin is granted (an admin's scope), and the
-- index behind the keyset-paginated user list.

-- An admin sees the scholarships granted here (DESIGN §7 scopes). The
-- foreign key to scholarships (id) arrives with the scholarships
-- migration (ALTER TABLE scholarship_admins ADD CONSTRAINT ... REFERENCES
-- scholarships (id) ON DELETE CASCADE); until then scholarship_id is any
-- UUID. Grants die with their user; granted_by keeps who gave them (a
-- granter is never deleted: users are deactivated, not removed).
CREATE TABLE scholarship_admins (
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scholarship_id uuid NOT NULL,
    granted_by     uuid REFERENCES users (id),
    granted_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, scholarship_id)
);
-- "Who administers scholarship S" (scope checks from the scholarship side).
CREATE INDEX scholarship_admins_scholarship_idx ON scholarship_admins (scholarship_id);

-- GET /users orders by created_at DESC, id DESC and pages with a keyset
-- cursor (created_at, id) < ($1, $2): a backward scan of this index,
-- constant cost at any depth.
CREATE INDEX users_created_idx ON users (created_at, id);

-- Search (q) is a case-insensitive substring match (ILIKE '%q%') on email
-- and full_name, with LIKE metacharacters escaped by the API. Staff and
-- student accounts number in the tens of thousands at most, so a filtered
-- scan along users_created_idx is cheap; no pg_trgm index (an extension
-- the owner role could not create) is needed at this size. Revisit with a
-- trigram or full-text index if the table grows by orders of magnitude.
