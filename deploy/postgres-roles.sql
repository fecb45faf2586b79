-- deploy/postgres-roles.sql: Simpul's PostgreSQL roles and database.
-- Installed as /usr/share/simpul/postgres-roles.sql; deploy/INSTALL.md
-- shows how to run it. Run it once per database, as a superuser:
--
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -v db=simpul \
--       -v hub_password="$HUB_PW" -v read_password="$READ_PW" \
--       -f /usr/share/simpul/postgres-roles.sql
--
-- It is safe to run again: what exists is left as it is (passwords
-- included; ALTER ROLE ... PASSWORD changes one).
--
--   simpul_hub   the hub's writer role. It owns the database, so the
--                hub's migrations (simpul-hub at start, or `simpulctl
--                migrate`) create every table, function and partition as
--                this role. Also the role of `simpulctl` commands that
--                change things (rules apply, case act, calendar, dlq
--                replay).
--   simpul_read  read-only: operators' reports, `simpulctl events / dlq
--                list / case list`, dashboards, the complaint adapter's
--                [casedb] dsn. It can read every table the hub creates,
--                now and later (default privileges), and nothing else;
--                its sessions are read-only by default as well.
--
-- Nobody else may connect to the database (CONNECT is revoked from PUBLIC).

\set ON_ERROR_STOP on

SELECT format('CREATE ROLE simpul_hub LOGIN PASSWORD %L', :'hub_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'simpul_hub')
\gexec

SELECT format('CREATE ROLE simpul_read LOGIN PASSWORD %L', :'read_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'simpul_read')
\gexec

ALTER ROLE simpul_read SET default_transaction_read_only = on;

SELECT format('CREATE DATABASE %I OWNER simpul_hub ENCODING %L '
    'TEMPLATE template0', :'db', 'UTF8')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')
\gexec

REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO simpul_read;

\connect :"db"

-- PostgreSQL 15 already keeps PUBLIC from creating in schema public; say
-- it anyway, for older servers.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO simpul_read;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO simpul_read;
ALTER DEFAULT PRIVILEGES FOR ROLE simpul_hub IN SCHEMA public
    GRANT SELECT ON TABLES TO simpul_read;
