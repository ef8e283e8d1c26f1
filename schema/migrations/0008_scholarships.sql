-- 0008_scholarships.sql -- scholarships and their periods (DESIGN §8
-- "Scholarships and periods", §9): the lasting scholarship type and each
-- round of it, plus the foreign key that 0006 left for later
-- (scholarship_admins.scholarship_id → scholarships).
--
-- The nested settings (sub_types, quotas, whitelist, eligibility_rules,
-- form_fields, required_documents, rubric) are jsonb documents whose every
-- field is validated by the API (lib/scholarships.c, lib/periods.c) before
-- it is written; the CHECKs below are the last line: the document's JSON
-- type, and every enum and amount of the row itself.

CREATE TABLE scholarships (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code               text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{1,31}$'),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    name_en            text CHECK (name_en IS NULL OR length(name_en) BETWEEN 1 AND 200),
    description        text CHECK (description IS NULL OR length(description) <= 20000),
    description_en     text CHECK (description_en IS NULL OR length(description_en) <= 20000),
    -- [{code, name, name_en, amount_cents}], codes unique (checked by the API).
    sub_types          jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(sub_types) = 'array'),
    sub_type_selection text NOT NULL DEFAULT 'single'
                       CHECK (sub_type_selection IN ('single', 'multiple')),
    currency           text NOT NULL DEFAULT 'TWD' CHECK (currency ~ '^[A-Z]{3}$'),
    status             text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
    created_by         uuid REFERENCES users (id),
    version            integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
-- GET /scholarships pages by code (unique: the UNIQUE index serves the
-- keyset); the public list filters on status.
CREATE INDEX scholarships_status_idx ON scholarships (status, code);

-- Grants made before this migration (0006 accepted any UUID) that name no
-- scholarship cannot be kept under the foreign key.
DELETE FROM scholarship_admins g WHERE NOT EXISTS (SELECT 1 FROM scholarships s WHERE s.id = g.scholarship_id);
ALTER TABLE scholarship_admins ADD CONSTRAINT scholarship_admins_scholarship_fkey
    FOREIGN KEY (scholarship_id) REFERENCES scholarships (id) ON DELETE CASCADE;

CREATE TABLE periods (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    scholarship_id           uuid NOT NULL REFERENCES scholarships (id) ON DELETE CASCADE,
    -- Gregorian academic year (the app_no prefix, DESIGN §8 "Applications").
    academic_year            integer NOT NULL CHECK (academic_year BETWEEN 2000 AND 2999),
    term                     smallint NOT NULL CHECK (term IN (0, 1, 2)),
    label                    text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    opens_at                 timestamptz NOT NULL,
    closes_at                timestamptz NOT NULL,
    reviewer_review_ends_at  timestamptz,
    college_review_ends_at   timestamptz,
    requires_reviewer_review boolean NOT NULL DEFAULT true,
    requires_college_review  boolean NOT NULL DEFAULT false,
    quota_mode               text NOT NULL DEFAULT 'none'
                             CHECK (quota_mode IN ('none', 'total', 'per_college')),
    -- {sub_type: {total: n}} or {sub_type: {colleges: {code: n}}}, or null.
    quotas                   jsonb CHECK (quotas IS NULL OR jsonb_typeof(quotas) = 'object'),
    budget_cents             bigint CHECK (budget_cents IS NULL OR budget_cents >= 0),
    disbursement_cycle       text NOT NULL DEFAULT 'semester'
                             CHECK (disbursement_cycle IN ('monthly', 'semester', 'yearly')),
    -- [student_number] or null (no whitelist: everyone eligible may apply).
    whitelist                jsonb CHECK (whitelist IS NULL OR jsonb_typeof(whitelist) = 'array'),
    eligibility_rules        jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(eligibility_rules) = 'array'),
    form_fields              jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(form_fields) = 'array'),
    required_documents       jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(required_documents) = 'array'),
    rubric                   jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(rubric) = 'array'),
    terms_document           text CHECK (terms_document IS NULL OR length(terms_document) BETWEEN 1 AND 500),
    status                   text NOT NULL DEFAULT 'draft'
                             CHECK (status IN ('draft', 'open', 'closed', 'finalized', 'archived')),
    version                  integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    -- One round per scholarship, academic year and term: POST .../duplicate
    -- into an existing one is a 409. The index also serves the keyset list
    -- GET /scholarships/{id}/periods (academic_year DESC, term DESC).
    UNIQUE (scholarship_id, academic_year, term),
    CHECK (opens_at < closes_at),
    CHECK (reviewer_review_ends_at IS NULL OR reviewer_review_ends_at >= closes_at),
    CHECK (college_review_ends_at IS NULL OR college_review_ends_at >= closes_at),
    CHECK (college_review_ends_at IS NULL OR reviewer_review_ends_at IS NULL OR
           college_review_ends_at >= reviewer_review_ends_at)
);
-- "Open periods" (eligibility, applications) look periods up by status.
CREATE INDEX periods_status_idx ON periods (status, closes_at);
