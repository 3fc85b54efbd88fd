-- The PostgreSQL peer's schema: what a PostgreSQL-based social-assistance system (OpenSPP,
-- OpenG2P) keeps for partner feeds. Every accepted record once, keyed by (source, record_id);
-- one row per person with the figures the feed path maintains (each load stages its file in a
-- temporary table of its own: load.sql).
DROP TABLE IF EXISTS staging, records, person_oop, applications, persons_d, sim_line CASCADE;

CREATE TABLE records (
    source    text   NOT NULL,
    record_id text   NOT NULL,
    id_number text   NOT NULL,
    body      jsonb  NOT NULL,
    UNIQUE (source, record_id)
);
-- the per-person updates and the household picture read a person's records by id
CREATE INDEX records_person ON records (id_number, source);

-- each person's 12-month medical out-of-pocket, fen, kept current by the feed path
CREATE TABLE person_oop (
    id_number text PRIMARY KEY,
    oop_12m   bigint NOT NULL
);

-- POST /v1/applications' peer: one durable single-row INSERT per application
CREATE TABLE applications (
    application_id bigserial PRIMARY KEY,
    id_number      text        NOT NULL,
    channel        text        NOT NULL,
    filed_region   text        NOT NULL,
    status         text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
