-- roles.sql -- the cluster roles of the Scholarship Management System.
-- Run once per cluster as a superuser, before creating the database:
--   scholarship_owner       owns the schema; migrations run as it
--   scholarship_app         what the API and the worker log in as: DML only,
--                           no DDL, no ownership (grants come from 0001)
--   scholarship_monitoring  read-only, for dashboards and exporters
-- Passwords are set by the DBA afterwards (\password ROLE); none is here.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'scholarship_owner') THEN
        CREATE ROLE scholarship_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'scholarship_app') THEN
        CREATE ROLE scholarship_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
            CONNECTION LIMIT 500;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'scholarship_monitoring') THEN
        CREATE ROLE scholarship_monitoring LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
            CONNECTION LIMIT 5;
    END IF;
END
$$;
GRANT pg_monitor TO scholarship_monitoring;
