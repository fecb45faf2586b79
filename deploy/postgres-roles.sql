-- deploy/postgres-roles.sql: Simpul's PostgreSQL roles and database.
-- Installed as /usr/share/simpul/postgres-roles.sql; deploy/INSTALL.md
-- shows how to run it. Run it as a superuser, once per database, and again
-- after each `simpulctl migrate` that adds tables (it re-applies the grants):
--
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -v db=simpul \
--       -v admin_password="$ADMIN_PW" -v hub_password="$HUB_PW" \
--       -v console_password="$CONSOLE_PW" -v read_password="$READ_PW" \
--       -f /usr/share/simpul/postgres-roles.sql
--
-- It is safe to run again: roles that exist are left as they are
-- (passwords included; ALTER ROLE ... PASSWORD changes one), and the
-- grants converge to the lists of simpul_apply_grants() (migration 0007).
--
--   simpul_admin    owns the database, the schema and every table and
--                   function: `simpulctl migrate`, `rules apply`,
--                   `calendar`, `user`, and reading raw events and dead
--                   letters (`simpulctl events`, `dlq list/show`).
--   simpul_hub      the hub: writes events, dead letters, the outbox, its
--                   journal checkpoint, cases and alerts; reads rules, SLA
--                   policies and holidays; cannot change those or console
--                   users; creates and drops event partitions only through
--                   simpul_ensure_partition() / simpul_drop_partitions_before()
--                   (SECURITY DEFINER). Not allowed to migrate: a hub that
--                   finds a migration pending refuses to start.
--   simpul_console  the console daemon: reads what it shows, writes its
--                   sessions and audit log, acts on cases, marks dead-letter
--                   replays. Also `simpulctl case act` and `dlq replay`.
--   simpul_read     read-only: the report_* views (events without
--                   complaint reporters' names and contacts, dead letters
--                   without payloads, cases, alerts, escalations), rules
--                   and the calendar; `simpulctl case list`, dashboards, the
--                   complaint adapter's [casedb] dsn. No raw event,
--                   dead_letter, outbox or console_user. Its sessions are
--                   read-only by default as well.
--
-- Nobody else may connect to the database (CONNECT is revoked from PUBLIC).
-- A database made by the earlier two-role version of this script (owned by
-- simpul_hub) is handed over to simpul_admin.

\set ON_ERROR_STOP on

SELECT format('CREATE ROLE simpul_admin LOGIN PASSWORD %L', :'admin_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'simpul_admin')
\gexec

SELECT format('CREATE ROLE simpul_hub LOGIN PASSWORD %L', :'hub_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'simpul_hub')
\gexec

SELECT format('CREATE ROLE simpul_console LOGIN PASSWORD %L',
    :'console_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'simpul_console')
\gexec

SELECT format('CREATE ROLE simpul_read LOGIN PASSWORD %L', :'read_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'simpul_read')
\gexec

ALTER ROLE simpul_read SET default_transaction_read_only = on;

SELECT format('CREATE DATABASE %I OWNER simpul_admin ENCODING %L '
    'TEMPLATE template0', :'db', 'UTF8')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')
\gexec

ALTER DATABASE :"db" OWNER TO simpul_admin;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO simpul_admin, simpul_hub, simpul_console,
    simpul_read;

\connect :"db"

-- Earlier versions made simpul_hub the owner of everything; the admin role
-- owns it now. A no-op when simpul_hub owns nothing.
REASSIGN OWNED BY simpul_hub TO simpul_admin;
ALTER DEFAULT PRIVILEGES FOR ROLE simpul_hub IN SCHEMA public
    REVOKE SELECT ON TABLES FROM simpul_read;

-- PostgreSQL 15 gives schema public to the database owner and keeps PUBLIC
-- from creating in it; say it anyway, for older servers.
ALTER SCHEMA public OWNER TO simpul_admin;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO simpul_hub, simpul_console, simpul_read;

-- Tables and partitions made later: simpul_admin creates them (migrations,
-- and the hub's partitions through SECURITY DEFINER functions). Nobody
-- gets anything on them by default: the hub and the console reach
-- partitions through the event table, whose grants PostgreSQL checks, and
-- simpul_read must not read raw events at all. A migration that adds a
-- table adds it to simpul_apply_grants(); running this script again, or
-- the migration itself, applies the lists.
ALTER DEFAULT PRIVILEGES FOR ROLE simpul_admin IN SCHEMA public
    REVOKE ALL ON TABLES FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE simpul_admin IN SCHEMA public
    REVOKE ALL ON SEQUENCES FROM PUBLIC;

-- The per-role grants, once the schema exists (`simpulctl migrate` as
-- simpul_admin applies them too).
DO $$
BEGIN
	IF to_regprocedure('public.simpul_apply_grants()') IS NOT NULL THEN
		PERFORM public.simpul_apply_grants();
	END IF;
END $$;
